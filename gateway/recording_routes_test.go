package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
)

// stubCallRecord stands in for the call-record service's two recording
// endpoints (the real ones are tested in services/callrecord): it attaches
// whatever it is sent, refuses the call "refused", and lets agents and
// admins listen.
type stubCallRecord struct {
	mu     sync.Mutex
	stored map[string]callapi.StoreRecording
	ranges []string
}

func (s *stubCallRecord) store(_ context.Context, req callapi.StoreRecording) (callapi.RecordingObject, error) {
	if req.CallID == "refused" {
		return callapi.RecordingObject{}, problem.New(problem.CodeConflict, "call refused already has a recording")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stored[req.CallID] = req
	return callapi.RecordingObject{Object: req.Object, ContentType: req.ContentType, Size: req.Size, SHA256: req.SHA256}, nil
}

func (s *stubCallRecord) play(ctx context.Context, req callapi.PlayRecording) (callapi.RecordingObject, error) {
	if role := rpc.CallerFrom(ctx).Role; role != identityapi.RoleAgent && role != identityapi.RoleAdmin {
		return callapi.RecordingObject{}, problem.New(problem.CodePermissionDenied, "listening to a recording is for staff only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ranges = append(s.ranges, req.Range)
	r, ok := s.stored[req.CallID]
	if !ok {
		return callapi.RecordingObject{}, problem.NotFound("recording of call", req.CallID)
	}
	return callapi.RecordingObject{Object: r.Object, ContentType: r.ContentType, Size: r.Size, SHA256: r.SHA256}, nil
}

func (s *stubCallRecord) lastStored(callID string) callapi.StoreRecording {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored[callID]
}

type recordingEnv struct {
	srv     *httptest.Server
	objects jetstream.ObjectStore
	stub    *stubCallRecord
}

// newRecordingEnv serves the recording routes with a limit of 4 KiB, on an
// embedded NATS with the recordings bucket and the stub service. The role
// of the caller is the X-Test-Role header.
func newRecordingEnv(t *testing.T) *recordingEnv {
	t.Helper()
	ctx := context.Background()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: callapi.RecordingsBucket})
	if err != nil {
		t.Fatal(err)
	}
	stub := &stubCallRecord{stored: map[string]callapi.StoreRecording{}}
	svc, err := rpc.NewService(nc, rpc.ServiceConfig{Name: subjects.ServiceCallRecord, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	if err := rpc.Register(svc, callapi.EndpointStoreRecord, stub.store); err != nil {
		t.Fatal(err)
	}
	if err := rpc.Register(svc, callapi.EndpointPlayRecord, stub.play); err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.DiscardHandler)
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(logger)
	calls := e.Group("/api/v1/calls", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			setCaller(c, rpc.Caller{ID: "u-test", Role: c.Request().Header.Get("X-Test-Role")})
			return next(c)
		}
	})
	api := &recordingAPI{conn: nc, store: &recordingStore{conn: nc}, maxBytes: 4096, timeout: 5 * time.Second, logger: logger}
	api.register(calls)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &recordingEnv{srv: srv, objects: objects, stub: stub}
}

type recordingReply struct {
	status int
	header http.Header
	body   []byte
}

func (env *recordingEnv) do(t *testing.T, method, callID, role string, body io.Reader, headers ...string) recordingReply {
	t.Helper()
	req, err := http.NewRequest(method, env.srv.URL+"/api/v1/calls/"+callID+"/recording", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Test-Role", role)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return recordingReply{status: resp.StatusCode, header: resp.Header, body: data}
}

func (env *recordingEnv) put(t *testing.T, callID, contentType string, audio []byte) recordingReply {
	t.Helper()
	return env.do(t, http.MethodPut, callID, callapi.RolePBX, bytes.NewReader(audio), "Content-Type", contentType)
}

func wantProblem(t *testing.T, r recordingReply, status int, detail string) {
	t.Helper()
	var p Problem
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(r.body, &p) != nil ||
		!strings.Contains(p.Detail, detail) {
		t.Fatalf("got %d %s %s, want a %d problem saying %q", r.status, r.header.Get("Content-Type"), r.body, status, detail)
	}
}

func wav(n int) []byte {
	b := make([]byte, n)
	copy(b, "RIFF\x00\x00\x00\x00WAVEfmt ")
	for i := 16; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRecordingUpload(t *testing.T) {
	t.Parallel()
	env := newRecordingEnv(t)
	ctx := context.Background()
	audio := wav(2000)
	name := recordingObjectName("1700000000.12", hexSum(audio))

	r := env.put(t, "1700000000.12", "audio/x-wav", audio)
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var obj callapi.RecordingObject
	if err := json.Unmarshal(r.body, &obj); err != nil || obj.Object != name || obj.SHA256 != hexSum(audio) || obj.Size != 2000 || obj.ContentType != "audio/wav" {
		t.Fatalf("answer %s (%v)", r.body, err)
	}
	if got := env.stub.lastStored("1700000000.12"); got != (callapi.StoreRecording{CallID: "1700000000.12", Object: name,
		ContentType: "audio/wav", Size: 2000, SHA256: hexSum(audio)}) {
		t.Fatalf("the service was sent %+v", got)
	}
	stored, err := env.objects.GetBytes(ctx, name)
	if err != nil || !bytes.Equal(stored, audio) {
		t.Fatalf("stored object: %v", err)
	}
	before, err := env.objects.GetInfo(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if r := env.put(t, "1700000000.12", "audio/wav", audio); r.status != http.StatusCreated {
		t.Fatalf("same audio again: %d %s", r.status, r.body)
	}
	if after, err := env.objects.GetInfo(ctx, name); err != nil || after.NUID != before.NUID {
		t.Fatal("the same audio was put again")
	}

	for _, mp3 := range [][]byte{append([]byte("ID3\x04\x00"), wav(100)[5:]...), append([]byte{0xFF, 0xFB, 0x90, 0x64}, wav(100)[4:]...)} {
		if r := env.put(t, "mp3", "audio/mpeg", mp3); r.status != http.StatusCreated {
			t.Fatalf("MP3 % x: %d %s", mp3[:4], r.status, r.body)
		}
	}
}

func TestRecordingUpload_refused(t *testing.T) {
	t.Parallel()
	env := newRecordingEnv(t)
	ctx := context.Background()

	fresh := wav(300)
	wantProblem(t, env.put(t, "refused", "audio/wav", fresh), http.StatusConflict, "already has a recording")
	if _, err := env.objects.GetInfo(ctx, recordingObjectName("refused", hexSum(fresh))); err == nil {
		t.Fatal("the refused upload is still in the store")
	}

	kept := wav(400)
	name := recordingObjectName("refused", hexSum(kept))
	if _, err := env.objects.PutBytes(ctx, name, kept); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, env.put(t, "refused", "audio/wav", kept), http.StatusConflict, "already has a recording")
	if _, err := env.objects.GetInfo(ctx, name); err != nil {
		t.Fatalf("an object stored before the refused upload was deleted: %v", err)
	}

	r := env.do(t, http.MethodPut, "c1", identityapi.RoleCustomer, bytes.NewReader(wav(100)), "Content-Type", "audio/wav")
	wantProblem(t, r, http.StatusForbidden, "uploading a recording")
}

func TestRecordingUpload_bad_bodies(t *testing.T) {
	t.Parallel()
	env := newRecordingEnv(t)
	mp3 := append([]byte{0xFF, 0xF3}, wav(50)[2:]...)
	tests := []struct {
		name, contentType string
		body              io.Reader
		detail            string
	}{
		{"not audio", "text/plain", bytes.NewReader(wav(100)), "audio/wav"},
		{"no type", "", bytes.NewReader(wav(100)), "audio/mpeg"},
		{"MP3 sent as WAV", "audio/wav", bytes.NewReader(mp3), "does not start like audio/wav"},
		{"WAV sent as MP3", "audio/mpeg", bytes.NewReader(wav(100)), "does not start like audio/mpeg"},
		{"shorter than a WAV header", "audio/wav", strings.NewReader("RIFF"), "does not start like"},
		{"empty", "audio/wav", http.NoBody, "is empty"},
		{"too big, with a length", "audio/wav", bytes.NewReader(wav(4097)), "larger than the recording limit of 4096 bytes"},
		// Without Content-Length (chunked): found while reading.
		{"too big, streamed", "audio/wav", io.MultiReader(bytes.NewReader(wav(4000)), strings.NewReader(strings.Repeat("x", 200))),
			"larger than the recording limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, env.putBad(t, tt.contentType, tt.body), http.StatusBadRequest, tt.detail)
		})
	}
	if r := env.put(t, "at-the-limit", "audio/wav", wav(4096)); r.status != http.StatusCreated {
		t.Fatalf("4096 bytes: %d %s", r.status, r.body)
	}
	list, _ := env.objects.List(context.Background())
	if len(list) != 1 {
		t.Fatalf("%d objects in the store, want the one accepted", len(list))
	}
}

func (env *recordingEnv) putBad(t *testing.T, contentType string, body io.Reader) recordingReply {
	t.Helper()
	return env.do(t, http.MethodPut, "bad", callapi.RolePBX, body, "Content-Type", contentType)
}

func TestRecordingPlayback(t *testing.T) {
	t.Parallel()
	env := newRecordingEnv(t)
	audio := wav(3000)
	if r := env.put(t, "played", "audio/wav", audio); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	etag := `"` + hexSum(audio) + `"`

	r := env.do(t, http.MethodGet, "played", identityapi.RoleAgent, nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, audio) || r.header.Get("ETag") != etag ||
		r.header.Get("Accept-Ranges") != "bytes" || r.header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("whole recording: %d %v (%d bytes)", r.status, r.header, len(r.body))
	}

	r = env.do(t, http.MethodGet, "played", identityapi.RoleAdmin, nil, "Range", "bytes=10-19")
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, audio[10:20]) || r.header.Get("Content-Range") != "bytes 10-19/3000" {
		t.Fatalf("range: %d %v %q", r.status, r.header, r.body)
	}
	r = env.do(t, http.MethodGet, "played", identityapi.RoleAgent, nil, "Range", "bytes=-5")
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, audio[2995:]) {
		t.Fatalf("suffix range: %d %q", r.status, r.body)
	}
	r = env.do(t, http.MethodGet, "played", identityapi.RoleAgent, nil, "Range", "bytes=999999-")
	if r.status != http.StatusRequestedRangeNotSatisfiable || r.header.Get("Content-Range") != "bytes */3000" {
		t.Fatalf("unsatisfiable range: %d %v", r.status, r.header)
	}
	env.stub.mu.Lock()
	ranges := env.stub.ranges
	env.stub.mu.Unlock()
	if strings.Join(ranges, ",") != ",bytes=10-19,bytes=-5,bytes=999999-" {
		t.Fatalf("the service recorded the playbacks %q", ranges)
	}

	wantProblem(t, env.do(t, http.MethodGet, "played", callapi.RolePBX, nil), http.StatusForbidden, "staff only")
	wantProblem(t, env.do(t, http.MethodGet, "never-stored", identityapi.RoleAgent, nil), http.StatusNotFound, "never-stored")
}

// TestObjectReader_seeks reads an object of several chunks (128 KiB each)
// out of order, as a multipart range answer does.
func TestObjectReader_seeks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: callapi.RecordingsBucket})
	if err != nil {
		t.Fatal(err)
	}
	data := wav(300_000)
	if _, err := store.PutBytes(ctx, "calls/x/y", data); err != nil {
		t.Fatal(err)
	}
	r := &objectReader{ctx: ctx, store: store, name: "calls/x/y", size: int64(len(data))}
	defer r.Close()
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end != 300_000 {
		t.Fatalf("seek to end: %d, %v", end, err)
	}
	for _, span := range [][2]int64{{200_000, 200_100}, {5, 10}, {131_000, 132_000}, {299_990, 300_000}} {
		if _, err := r.Seek(span[0], io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(io.LimitReader(r, span[1]-span[0]))
		if err != nil || !bytes.Equal(got, data[span[0]:span[1]]) {
			t.Fatalf("bytes %d-%d: %d bytes, %v", span[0], span[1], len(got), err)
		}
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read at the end: %d, %v", n, err)
	}
}
