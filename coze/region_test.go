package coze

import "testing"

func TestWWWForAPI(t *testing.T) {
	tests := []struct{ api, want string }{
		{"https://api.coze.cn", "https://www.coze.cn"},
		{"https://api.coze.com/", "https://www.coze.com"},
		{"https://API.coze.cn", "https://www.coze.cn"},
		{"https://api.coze.example:8443", "https://www.coze.example:8443"},
		{"https://coze.example.com", "https://coze.example.com"}, // not an api. host: as it is
		{"https://myapi.coze.cn", "https://myapi.coze.cn"},       // api. only as the first label
		{"http://127.0.0.1:8808", "http://127.0.0.1:8808"},       // a sandbox serves both
	}
	for _, tt := range tests {
		if got := WWWForAPI(tt.api); got != tt.want {
			t.Errorf("WWWForAPI(%q) = %q, want %q", tt.api, got, tt.want)
		}
	}
}

func TestWSForAPI(t *testing.T) {
	tests := []struct{ api, want string }{
		{"https://api.coze.com", "wss://ws.coze.com"},
		{"https://api.coze.cn/", "wss://ws.coze.cn"},
		{"http://127.0.0.1:8808", "ws://127.0.0.1:8808"},
		{"https://gateway.example.com/coze", "wss://gateway.example.com/coze"},
		{"https://api.internal:8443", "wss://ws.internal:8443"},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := WSForAPI(tt.api); got != tt.want {
			t.Errorf("WSForAPI(%q) = %q, want %q", tt.api, got, tt.want)
		}
	}
}
