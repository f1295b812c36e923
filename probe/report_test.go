package probe

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewReport(t *testing.T) {
	r := func(i int, c Class) Result { return Result{Index: i, Class: c} }
	tests := []struct {
		name    string
		results []Result
		want    Verdict
	}{
		{"every status is an answer", []Result{r(0, ClassOK), r(1, ClassAuthRequired), r(2, ClassNotFound), r(3, ClassServerError), r(4, ClassHTTPError)}, VerdictReachable},
		{"one below HTTP", []Result{r(0, ClassOK), r(1, ClassReset)}, VerdictPartial},
		{"a cancel is not an answer", []Result{r(0, ClassOK), r(1, ClassCanceled)}, VerdictPartial},
		{"none answered", []Result{r(0, ClassDNS), r(1, ClassTLS), r(2, ClassTimeout)}, VerdictUnreachable},
		{"nothing probed", nil, VerdictUnreachable},
		{"a 5xx from the token endpoint", []Result{r(0, ClassOK), {Index: 1, Group: GroupOAuth, Class: ClassServerError}}, VerdictDegraded},
		{"a 5xx from the open API", []Result{{Index: 0, Group: GroupAPI, Class: ClassServerError}, r(1, ClassOK)}, VerdictDegraded},
		{"a 5xx from the account check", []Result{{Index: 0, Group: GroupAccount, Class: ClassServerError}}, VerdictDegraded},
		{"a 5xx from a seed target only", []Result{{Index: 0, Group: GroupLegacy, Class: ClassServerError}, r(1, ClassOK)}, VerdictReachable},
		{"a 5xx and a block", []Result{{Index: 0, Group: GroupOAuth, Class: ClassServerError}, r(1, ClassReset)}, VerdictPartial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewReport(tt.results, 0, "").Verdict; got != tt.want {
				t.Errorf("verdict %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("ordered by index", func(t *testing.T) {
		in := []Result{r(2, ClassOK), r(0, ClassDNS), r(1, ClassOK)}
		rep := NewReport(in, time.Second, "http://proxy:3128")
		var idx []int
		for _, x := range rep.Targets {
			idx = append(idx, x.Index)
		}
		if diff := cmp.Diff([]int{0, 1, 2}, idx); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if in[0].Index != 2 {
			t.Errorf("NewReport reordered its argument")
		}
		if rep.Answered() != 2 || rep.Proxy != "http://proxy:3128" || rep.Duration != time.Second {
			t.Errorf("report = %+v", rep)
		}
	})
}

func TestReportJSON(t *testing.T) {
	rep := Report{
		Verdict:  VerdictPartial,
		Proxy:    "http://proxy:3128",
		Duration: 1234567 * time.Microsecond,
		Targets: []Result{
			{Index: 0, Name: "users_me", Group: GroupAccount, Label: "whose token", Method: "GET", URL: "https://api.coze.com/v1/users/me", Status: 200, Class: ClassOK,
				Timings:    Timings{DNS: 12340 * time.Microsecond, Connect: 20 * time.Millisecond, TLS: 30 * time.Millisecond, FirstByte: 80 * time.Millisecond, Total: 81049 * time.Microsecond},
				RemoteAddr: "1.2.3.4:443", Resolved: []string{"1.2.3.4", "2001:db8::1"}, Family: "ipv4",
				FamilyNote: "IPv6 fails", CozeCode: intp(0), LogID: "L", User: "Ada (@ada)", Skew: 42 * time.Second, HasDate: true},
			{Index: 1, Name: "www", Group: GroupLegacy, Label: "web host front page", Method: "GET", URL: "https://www.coze.com/", Class: ClassDNS,
				Timings: Timings{DNS: 3 * time.Millisecond, Total: 3 * time.Millisecond}, Hint: "h", Error: "no such host"},
		},
		Skew: 42 * time.Second, HasSkew: true,
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"verdict":"partial","proxy":"http://proxy:3128","duration_ms":1234.6,"clock_skew_s":42,"targets":[` +
		`{"name":"users_me","group":"account","label":"whose token","method":"GET","url":"https://api.coze.com/v1/users/me","status":200,"class":"ok",` +
		`"timings_ms":{"dns":12.3,"connect":20,"tls":30,"first_byte":80,"total":81},"remote_addr":"1.2.3.4:443",` +
		`"resolved":["1.2.3.4","2001:db8::1"],"family":"ipv4","family_note":"IPv6 fails",` +
		`"coze_code":0,"coze_msg":"","logid":"L","hint":"","error":"","user":"Ada (@ada)"},` +
		`{"name":"www","group":"legacy","label":"web host front page","method":"GET","url":"https://www.coze.com/","status":0,"class":"dns",` +
		`"timings_ms":{"dns":3,"connect":0,"tls":0,"first_byte":0,"total":3},"remote_addr":"","resolved":[],"family":"",` +
		`"coze_code":null,"coze_msg":"","logid":"","hint":"h","error":"no such host"}]}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	empty, _ := json.Marshal(Report{Verdict: VerdictUnreachable})
	if want := `{"verdict":"unreachable","proxy":"","duration_ms":0,"clock_skew_s":null,"targets":[]}`; string(empty) != want {
		t.Errorf("empty report JSON %s, want %s", empty, want)
	}
}
