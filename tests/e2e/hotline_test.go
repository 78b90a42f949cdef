package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/telemetry/logtest"
)

// pbx calls the gateway as a PBX, with an API key.
type pbx struct {
	*client
	key string
}

func (p pbx) must(status int, method, path string, body any) response {
	p.t.Helper()
	return p.client.must(status, method, path, body, "X-API-Key", p.key)
}

// hotlineAgent creates an agent account with a work number.
func hotlineAgent(t *testing.T, admin *client, base, work string) (*client, string) {
	t.Helper()
	userSeq++
	name := fmt.Sprintf("hotline%d-%d", userSeq, time.Now().UnixNano()%100000)
	r := admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]string{
		"username": name, "password": userPassword, "role": "agent", "display_name": "坐席 " + work, "work_number": work,
	})
	return newClient(t, base).login(name, userPassword), r.str("id")
}

// TestHotline_routes_calls_and_keeps_their_record drives the hotline as a
// PBX would: agents sign in, calls ring the longest-idle agent with the
// skill (the PBX announces the work number), wait when nobody is free, and
// are answered, ended, rated and turned into tickets; CDRs are ingested
// once; the figures add up; a revoked key stops working.
func TestHotline_routes_calls_and_keeps_their_record(t *testing.T) {
	dir := t.TempDir()
	var logs logtest.Buffer
	sys := startSystemLogging(t, dir, &logs)
	a := newActors(t, sys)

	key := a.admin.must(http.StatusCreated, "POST", "/api/v1/hotline/pbx-keys", map[string]any{"name": "北京 FreeSWITCH"})
	p := pbx{client: newClient(t, sys.URL), key: key.str("key")}
	if keys := a.admin.must(http.StatusOK, "GET", "/api/v1/hotline/pbx-keys", nil); len(items(keys)) != 1 || items(keys)[0]["name"] != "北京 FreeSWITCH" {
		t.Fatalf("keys: %s", keys.Raw)
	} else if _, leaked := items(keys)[0]["key"]; leaked {
		t.Fatalf("the key list shows a key: %s", keys.Raw)
	}

	// Who may drive the hotline.
	anon := newClient(t, sys.URL)
	offer := map[string]any{"call_id": "c1", "caller": "13812345678", "hotline": "4001234567", "skill": "账号"}
	for _, tc := range []struct {
		name   string
		status int
		resp   response
	}{
		{"no credentials", 401, anon.do("POST", "/api/v1/calls", offer)},
		{"a wrong key", 401, anon.do("POST", "/api/v1/calls", offer, "X-API-Key", "hpk_00000000-0000-0000-0000-000000000000_nope")},
		{"a malformed key", 401, anon.do("POST", "/api/v1/calls", offer, "X-API-Key", "secret")},
		{"a customer", 403, a.customer.do("POST", "/api/v1/calls", offer)},
		{"a customer's call list", 403, a.customer.do("GET", "/api/v1/calls", nil)},
		{"an agent creating keys", 403, a.agent.do("POST", "/api/v1/hotline/pbx-keys", map[string]any{"name": "x"})},
	} {
		if tc.resp.Status != tc.status || tc.resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want a %d problem", tc.name, tc.resp.Status, tc.resp.Raw, tc.status)
		}
	}

	li, liID := hotlineAgent(t, a.admin, sys.URL, "1024")
	_, wangID := hotlineAgent(t, a.admin, sys.URL, "2048")
	p.must(200, "POST", "/api/v1/hotline/agents/"+liID+"/login", map[string]any{"extension": "1001", "skills": []string{"账号", "考试"}})
	li.must(403, "POST", "/api/v1/hotline/agents/"+wangID+"/login", map[string]any{"extension": "1002"})
	p.must(200, "POST", "/api/v1/hotline/agents/"+wangID+"/login", map[string]any{"extension": "1002", "skills": []string{"账号"}})
	p.must(404, "POST", "/api/v1/hotline/agents/no-such-user/login", map[string]any{"extension": "1003"})
	p.must(422, "POST", "/api/v1/hotline/agents/"+a.customerID+"/login", map[string]any{"extension": "1003"})
	p.must(422, "POST", "/api/v1/hotline/agents/"+liID+"/state", map[string]any{"state": "lunch"})
	li.must(200, "POST", "/api/v1/hotline/agents/"+liID+"/state", map[string]any{"state": "ready"})
	p.must(200, "POST", "/api/v1/hotline/agents/"+wangID+"/state", map[string]any{"state": "ready"})

	// Li has been idle longest: the first call rings Li, who is announced
	// as 1024; the second rings Wang; the third waits.
	r := p.must(200, "POST", "/api/v1/calls", offer)
	if r.str("action") != "ring" || r.Body["agent"].(map[string]any)["work_number"] != "1024" || r.Body["agent"].(map[string]any)["extension"] != "1001" {
		t.Fatalf("first call: %s", r.Raw)
	}
	if again := p.must(200, "POST", "/api/v1/calls", offer); string(again.Raw) != string(r.Raw) {
		t.Fatalf("offering c1 again: %s, want %s", again.Raw, r.Raw)
	}
	r = p.must(200, "POST", "/api/v1/calls", map[string]any{"call_id": "c2", "caller": "13900001111", "hotline": "4001234567", "skill": "账号"})
	if r.Body["agent"].(map[string]any)["id"] != wangID {
		t.Fatalf("second call: %s", r.Raw)
	}
	r = p.must(200, "POST", "/api/v1/calls", map[string]any{"call_id": "c3", "caller": "13700002222", "hotline": "4001234567", "skill": "考试"})
	if r.str("action") != "queue" || r.Body["queue_position"] != 1.0 {
		t.Fatalf("third call: %s", r.Raw)
	}
	p.must(422, "POST", "/api/v1/calls", map[string]any{"call_id": "", "caller": "1", "hotline": "2"})
	p.must(400, "POST", "/api/v1/calls", map[string]any{"call_id": "c9", "caller": "1", "hotline": "2", "extra": true})

	// Li answers and hangs up; Li becomes ready and takes the waiting call.
	p.must(200, "POST", "/api/v1/calls/c1/answered", nil)
	ended := p.must(200, "POST", "/api/v1/calls/c1/ended", map[string]any{"disposition": "answered"})
	if ended.str("status") != "ended" || ended.str("disposition") != "answered" || ended.str("agent_id") != liID {
		t.Fatalf("c1 after its end: %s", ended.Raw)
	}
	if c1 := li.must(200, "GET", "/api/v1/calls/c1", nil); c1.Body["answered_at"] == nil || c1.Body["handle_seconds"] == nil {
		t.Fatalf("c1 after its end: %s", c1.Raw)
	}
	p.must(200, "POST", "/api/v1/calls/c1/ended", map[string]any{"disposition": "answered"}) // a retry
	li.must(200, "POST", "/api/v1/hotline/agents/"+liID+"/state", map[string]any{"state": "ready"})
	c3 := p.must(200, "GET", "/api/v1/calls/c3", nil)
	if c3.str("status") != "ringing" || c3.Body["agent"].(map[string]any)["id"] != liID {
		t.Fatalf("c3 after Li is ready: %s", c3.Raw)
	}

	// Out of order: c2 ends before its answer is reported.
	p.must(200, "POST", "/api/v1/calls/c2/ended", map[string]any{"disposition": "abandoned"})
	p.must(409, "POST", "/api/v1/calls/c2/answered", nil)
	p.must(404, "POST", "/api/v1/calls/nope/answered", nil)

	// Li answers c3 and hands it to Wang, who is ready again; Li goes to
	// after-call work.
	p.must(409, "POST", "/api/v1/calls/c3/transfer", map[string]any{"agent_id": wangID}) // not answered yet
	p.must(200, "POST", "/api/v1/calls/c3/answered", nil)
	p.must(409, "POST", "/api/v1/calls/c3/transfer", map[string]any{"agent_id": wangID}) // Wang is not ready
	p.must(200, "POST", "/api/v1/hotline/agents/"+wangID+"/state", map[string]any{"state": "ready"})
	p.must(409, "POST", "/api/v1/calls/c3/transfer", map[string]any{"agent_id": wangID}) // Wang has no 考试
	moved := p.must(200, "POST", "/api/v1/calls/c3/transfer", map[string]any{"agent_id": wangID, "skill": "账号"})
	if moved.str("action") != "ring" || moved.Body["agent"].(map[string]any)["work_number"] != "2048" {
		t.Fatalf("transfer of c3: %s", moved.Raw)
	}
	if c3 := li.must(200, "GET", "/api/v1/calls/c3", nil); c3.str("status") != "ringing" || c3.Body["transfers"] != 1.0 {
		t.Fatalf("c3 after the transfer: %s", c3.Raw)
	}
	p.must(422, "POST", "/api/v1/calls/c2/ended", map[string]any{"disposition": "hung"})

	// Ratings: once, 1 to 5.
	p.must(200, "POST", "/api/v1/calls/c1/rating", map[string]any{"score": 5})
	p.must(200, "POST", "/api/v1/calls/c1/rating", map[string]any{"score": 5})
	p.must(409, "POST", "/api/v1/calls/c1/rating", map[string]any{"score": 4})
	p.must(422, "POST", "/api/v1/calls/c1/rating", map[string]any{"score": 6})
	p.must(404, "POST", "/api/v1/calls/nope/rating", map[string]any{"score": 3})

	// The caller's number is masked for all but admins.
	if got := li.must(200, "GET", "/api/v1/calls/c1", nil); got.str("caller") != "138****5678" || got.Body["rating"] != 5.0 {
		t.Fatalf("c1 for an agent: %s", got.Raw)
	}
	if got := a.admin.must(200, "GET", "/api/v1/calls/c1", nil); got.str("caller") != "13812345678" {
		t.Fatalf("c1 for an admin: %s", got.Raw)
	}

	// A ticket from the call, once.
	tk := li.must(201, "POST", "/api/v1/calls/c1/ticket", map[string]any{"title": "无法登录考试系统", "description": "来电反映密码重置后仍无法登录"})
	if again := li.must(200, "POST", "/api/v1/calls/c1/ticket", map[string]any{"title": "再次"}); again.str("ticket_id") != tk.str("ticket_id") {
		t.Fatalf("a second ticket from c1: %s vs %s", again.Raw, tk.Raw)
	}
	if again := a.agent.must(200, "POST", "/api/v1/calls/c1/ticket", map[string]any{"title": "另一位坐席"}); again.str("ticket_id") != tk.str("ticket_id") {
		t.Fatalf("another agent's ticket from c1: %s vs %s", again.Raw, tk.Raw)
	}
	if ticket := li.must(200, "GET", "/api/v1/tickets/"+tk.str("ticket_id"), nil); ticket.str("channel") != "phone" || ticket.str("title") != "无法登录考试系统" {
		t.Fatalf("the ticket: %s", ticket.Raw)
	}
	p.must(401, "POST", "/api/v1/calls/c1/ticket", map[string]any{"title": "x"}) // staff only: a PBX key is no user

	// The recording: uploaded by the PBX, played by staff with Range, every
	// playback an audit event.
	wav := append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), make([]byte, 4000)...)
	for i := range wav[16:] {
		wav[16+i] = byte(i)
	}
	stored := p.client.must(201, "PUT", "/api/v1/calls/c1/recording", wav, "X-API-Key", p.key, "Content-Type", "audio/wav")
	if rec, _ := stored.Body["recording"].(map[string]any); rec == nil || rec["size"] != float64(len(wav)) || rec["keep_until"] == nil {
		t.Fatalf("stored recording: %s", stored.Raw)
	}
	p.client.must(400, "PUT", "/api/v1/calls/c1/recording", "not audio", "X-API-Key", p.key, "Content-Type", "text/plain")
	part := li.must(206, "GET", "/api/v1/calls/c1/recording", nil, "Range", "bytes=100-199")
	if string(part.Raw) != string(wav[100:200]) {
		t.Fatalf("bytes 100-199: %d bytes, not the recording's", len(part.Raw))
	}
	if whole := a.admin.must(200, "GET", "/api/v1/calls/c1/recording", nil); string(whole.Raw) != string(wav) || whole.Header.Get("ETag") == "" {
		t.Fatalf("the whole recording: %d bytes, ETag %q", len(whole.Raw), whole.Header.Get("ETag"))
	}
	p.client.must(403, "GET", "/api/v1/calls/c1/recording", nil, "X-API-Key", p.key)
	a.customer.must(403, "GET", "/api/v1/calls/c1/recording", nil)
	plays := callEvents(t, sys.NATSURL, "c1", "call.recording_played")
	if len(plays) != 2 || plays[0].Actor != liID || plays[1].Actor == liID {
		t.Fatalf("playback audit events: %+v", plays)
	}

	// The agent notes the call's resolution; the problem library gets a
	// draft from it, without the caller's number.
	noted := li.must(200, "POST", "/api/v1/calls/c1/resolution", map[string]any{
		"question": "考试系统登录失败（来电 13812345678）", "resolution": "清除浏览器缓存并重置密码后恢复登录"})
	if noted.str("resolution") == "" {
		t.Fatalf("the call after its note: %s", noted.Raw)
	}
	li.must(422, "POST", "/api/v1/calls/c1/resolution", map[string]any{"question": "", "resolution": "x"})
	eventually(t, 10*time.Second, "a draft from the call's note", func() bool {
		drafts := items(li.must(200, "GET", "/api/v1/kb/articles?source_call=c1", nil))
		if len(drafts) != 1 {
			return false
		}
		if drafts[0]["status"] != "draft" || strings.Contains(fmt.Sprint(drafts[0]), "13812345678") {
			t.Fatalf("the draft from c1: %v", drafts[0])
		}
		return true
	})

	// CDRs: FreeSWITCH JSON and Asterisk CSV, each recorded once.
	fs := readFixture(t, "freeswitch_answered.json")
	got := p.client.must(200, "POST", "/api/v1/calls/cdr/freeswitch", string(fs), "X-API-Key", p.key)
	if got.Body["ingested"] != 1.0 {
		t.Fatalf("freeswitch CDR: %s", got.Raw)
	}
	got = p.client.must(200, "POST", "/api/v1/calls/cdr/freeswitch", string(fs), "X-API-Key", p.key)
	if got.Body["ingested"] != 0.0 || got.Body["duplicates"] != 1.0 {
		t.Fatalf("the same CDR again: %s", got.Raw)
	}
	cdrCall := a.admin.must(200, "GET", "/api/v1/calls/a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", nil)
	if cdrCall.str("status") != "ended" || cdrCall.str("disposition") != "answered" || cdrCall.str("caller") != "13812345678" {
		t.Fatalf("the call from the CDR: %s", cdrCall.Raw)
	}
	csv := readFixture(t, "asterisk_master.csv")
	got = p.client.must(200, "POST", "/api/v1/calls/cdr/asterisk", string(csv), "X-API-Key", p.key, "Content-Type", "text/csv")
	if got.Body["ingested"] == 0.0 {
		t.Fatalf("asterisk CDRs: %s", got.Raw)
	}
	p.client.must(400, "POST", "/api/v1/calls/cdr/freeswitch", `{"variables": {}}`, "X-API-Key", p.key)
	p.client.must(400, "POST", "/api/v1/calls/cdr/asterisk", "", "X-API-Key", p.key, "Content-Type", "text/csv")

	// The figures of the live calls: c1 answered and rated, c2 abandoned,
	// c3 answered and transferred.
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	stats := a.admin.must(200, "GET", "/api/v1/calls/stats?group_by=agent&from="+from+"&to="+to, nil)
	total := stats.Body["total"].(map[string]any)
	if total["offered"] != 3.0 || total["answered"] != 2.0 || total["abandoned"] != 1.0 || total["avg_rating"] != 5.0 {
		t.Fatalf("stats: %s", stats.Raw)
	}
	a.admin.must(422, "GET", "/api/v1/calls/stats?from="+to+"&to="+from, nil)
	a.admin.must(422, "GET", "/api/v1/calls/stats?from=yesterday&to="+to, nil)
	if list := li.must(200, "GET", "/api/v1/calls?limit=2", nil); len(items(list)) != 2 || list.str("next_cursor") == "" {
		t.Fatalf("call list: %s", list.Raw)
	}

	// Callers' numbers never reach the logs.
	for _, number := range []string{"13812345678", "13900001111", "13700002222"} {
		if strings.Contains(logs.String(), number) {
			t.Errorf("the logs hold the caller number %s", number)
		}
	}
	if !strings.Contains(logs.String(), "/api/v1/calls") {
		t.Fatalf("the logs hold no call requests: is the test reading them?")
	}

	// The board survives a restart: the agents and the transferred call
	// are rebuilt from the hotline's events.
	if err := sys.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	sys = startSystem(t, dir)
	p.client = newClient(t, sys.URL)
	agents := p.must(200, "GET", "/api/v1/hotline/agents", nil)
	states := map[string]any{}
	for _, it := range items(agents) {
		states[it["id"].(string)] = it["state"]
	}
	if states[liID] != "after_call_work" || states[wangID] != "busy" {
		t.Fatalf("agents after a restart: %s", agents.Raw)
	}

	// A revoked key stops working.
	admin := newClient(t, sys.URL).login("admin", adminPassword)
	admin.must(204, "DELETE", "/api/v1/hotline/pbx-keys/"+key.str("id"), nil)
	p.must(401, "GET", "/api/v1/hotline/agents", nil)
}

// callEvents reads the events of one type from a call's subject, as an
// auditor would.
func callEvents(t *testing.T, natsURL, callID, eventType string) []events.Envelope {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js)
	if err != nil {
		t.Fatal(err)
	}
	all, err := store.Load(context.Background(), subjects.Call(callapi.CallAggregateID(callID)))
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Envelope
	for _, e := range all {
		if e.Type == eventType {
			out = append(out, e)
		}
	}
	return out
}

// readFixture reads a CDR fixture of the cdr package.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../services/callrecord/adapters/cdr/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
