// The official Coze Node SDK with an async token callback over
// `cozeauth token --json`, as docs/programs.md shows it: the token is
// cached until a minute before it expires, then asked for again.
import { execFileSync } from 'node:child_process';
import { CozeAPI } from '@coze/api';

let cached = null;
async function token() {
  if (!cached || Date.parse(cached.expires_at) - Date.now() < 60_000) {
    cached = JSON.parse(execFileSync('cozeauth', ['token', '--json'], { encoding: 'utf8' }));
  }
  return cached.access_token;
}

const client = new CozeAPI({ baseURL: process.env.COZE_API_BASE, token });
console.log(JSON.stringify({ step: 'me', user: (await client.users.me()).user_name }));
