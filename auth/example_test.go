package auth_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/cozeauth/cozeauth/auth"
)

// A Go program that calls Coze with the token `cozeauth login` stored. The
// client refreshes the token through cozeauth's store and lock, so it can run
// alongside `cozeauth token` and other programs without losing the rotating
// refresh token.
func Example() {
	m, err := auth.Open("default") // the profile saved by `cozeauth login`
	if err != nil {
		log.Fatal(err) // a *auth.LoginRequiredError says to run `cozeauth login`
	}
	ctx := context.Background()
	client := m.HTTPClient(ctx)

	body := strings.NewReader(`{"bot_id":"7340000000000000000","user_id":"me","stream":false,
		"additional_messages":[{"role":"user","content":"Hello","content_type":"text"}]}`)
	resp, err := client.Post(m.Config.API()+"/v3/chat", "application/json", body)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, len(answer) > 0)
}

// An oauth2.TokenSource for libraries that take one.
func ExampleManager_TokenSource() {
	m, err := auth.Open("default")
	if err != nil {
		log.Fatal(err)
	}
	tok, err := m.TokenSource(context.Background()).Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("expires", tok.Expiry)
}
