package coze

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClientUserAgent(t *testing.T) {
	var got map[string]string
	if err := json.Unmarshal([]byte(ClientUserAgent("cozeauth/1.2.0")), &got); err != nil {
		t.Fatal(err)
	}
	osVersion := got["os_version"]
	delete(got, "os_version")
	want := map[string]string{"version": "1.2.0", "lang": "go", "lang_version": strings.TrimPrefix(runtime.Version(), "go"), "os_name": runtime.GOOS}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("X-Coze-Client-User-Agent (-want +got):\n%s", diff)
	}
	if runtime.GOOS == "linux" && osVersion == "" {
		t.Error("os_version is empty on Linux, where uname knows it")
	}
}
