// The official Coze Node SDK through `cozeauth proxy`, exactly as
// docs/programs.md shows it: COZE_API_BASE and COZE_API_TOKEN (the proxy's
// key) are all it is given. The e2e test (e2e_node_test.go) runs it and
// reads one JSON line per step from its standard output.
import { CozeAPI } from '@coze/api';

const client = new CozeAPI({
  baseURL: process.env.COZE_API_BASE, // http://127.0.0.1:8899
  token: process.env.COZE_API_TOKEN, // $(cozeauth proxy --print-key)
});

const say = (step, more) => console.log(JSON.stringify({ step, ...more }));

say('me', { user: (await client.users.me()).user_name });

const stream = await client.chat.stream({
  bot_id: '7480000000000000001',
  additional_messages: [{ role: 'user', content: 'hello proxy', content_type: 'text' }],
});
for await (const part of stream) {
  say('event', { event: part.event, at: Date.now(), content: part.data?.content });
}

// Past the first token's expiry: the proxy renews it; the client never knows.
await new Promise((resolve) => setTimeout(resolve, Number(process.env.WAIT_MS ?? 0)));
say('me again', { user: (await client.users.me()).user_name });
