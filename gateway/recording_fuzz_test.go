package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
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

// FuzzRecordingUpload: the upload checks (Content-Type, size, magic bytes)
// accept a body only as it is, with its size and SHA-256, and refuse
// anything else with a 400 problem, never a panic.
func FuzzRecordingUpload(f *testing.F) {
	f.Add("audio/wav", wav(40))
	f.Add("audio/x-wav; charset=binary", wav(12))
	f.Add("audio/mpeg", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"))
	f.Add("AUDIO/MPEG", []byte{0xFF, 0xFB, 0x90, 0x00})
	f.Add("audio/wav", []byte("RIFF\x00\x00\x00\x00WAV"))
	f.Add("text/html", []byte("<script>alert(1)</script>"))
	f.Add("audio/wav;;;=", []byte{})
	f.Add("audio/mpeg", bytes.Repeat([]byte{0xFF}, 100))
	const limit = 64
	a := &recordingAPI{maxBytes: limit}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		contentType, err := recordingType(header)
		if err != nil {
			if problem.CodeOf(err) != problem.CodeInvalidArgument {
				t.Fatalf("Content-Type %q: %v", header, err)
			}
			return
		}
		file, size, sum, err := a.spool(bytes.NewReader(body), contentType)
		if err != nil {
			if problem.CodeOf(err) != problem.CodeInvalidArgument {
				t.Fatalf("%s body %q: %v, want invalid_argument", contentType, body, err)
			}
			if len(body) > 0 && len(body) <= limit && startsLike(contentType, body) {
				t.Fatalf("%s body %q refused: %v", contentType, body, err)
			}
			return
		}
		defer func() {
			file.Close()
			os.Remove(file.Name())
		}()
		stored, err := os.ReadFile(file.Name())
		if err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(body)
		if !bytes.Equal(stored, body) || size != int64(len(body)) || sum != hex.EncodeToString(want[:]) || size > limit ||
			!startsLike(contentType, body) {
			t.Fatalf("%s body %q spooled as %d bytes %q, sum %s", contentType, body, size, stored, sum)
		}
	})
}

// rangeObject is the recording FuzzRecordingRange plays.
var rangeObject = wav(1000)

// newRangeFuzzer serves GET /api/v1/calls/:call_id/recording for a staff
// caller, on an embedded NATS with the recordings bucket holding
// rangeObject for call "c-1" and the stub call-record service.
func newRangeFuzzer(tb testing.TB) *echo.Echo {
	tb.Helper()
	ctx := context.Background()
	_, nc := natsembed.StartForTest(tb)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	objects, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: callapi.RecordingsBucket})
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(rangeObject)
	rec := callapi.StoreRecording{CallID: "c-1", Object: recordingObjectName("c-1", hex.EncodeToString(sum[:])),
		ContentType: "audio/wav", Size: int64(len(rangeObject)), SHA256: hex.EncodeToString(sum[:])}
	if _, err := objects.PutBytes(ctx, rec.Object, rangeObject); err != nil {
		tb.Fatal(err)
	}
	stub := &stubCallRecord{stored: map[string]callapi.StoreRecording{"c-1": rec}}
	svc, err := rpc.NewService(nc, rpc.ServiceConfig{Name: subjects.ServiceCallRecord, Registerer: prometheus.NewRegistry()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = svc.Stop() })
	if err := rpc.Register(svc, callapi.EndpointPlayRecord, func(ctx context.Context, req callapi.PlayRecording) (callapi.RecordingObject, error) {
		return stub.play(ctx, callapi.PlayRecording{CallID: req.CallID}) // the range is not kept: fuzzing sends many
	}); err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(logger)
	calls := e.Group("/api/v1/calls", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			setCaller(c, rpc.Caller{ID: "u-fuzz", Role: identityapi.RoleAgent})
			return next(c)
		}
	})
	api := &recordingAPI{conn: nc, store: &recordingStore{conn: nc}, maxBytes: 4096, timeout: 5 * time.Second, logger: logger}
	api.register(calls)
	return e
}

// FuzzRecordingRange: whatever the Range header, playback answers the
// whole recording (200), exactly the asked bytes (206, with a matching
// Content-Range), 416 or a 400 problem; never 500 and never a panic.
func FuzzRecordingRange(f *testing.F) {
	for _, r := range []string{"", "bytes=0-99", "bytes=990-", "bytes=-10", "bytes=999-999", "bytes=1000-", "bytes=5-1",
		"bytes=0-0,5-9", "bytes=abc", "items=0-1", "bytes=0-18446744073709551616", "bytes= 1 - 2",
		// A suffix of length 0 selects nothing (RFC 9110 §14.1.2: 416), but
		// http.ServeContent answers 206 with "Content-Range: bytes
		// 1000-999/1000" and no body (golang/go#81262): the gateway must
		// refuse it itself.
		"bytes=-0"} {
		f.Add(r)
	}
	e := newRangeFuzzer(f)
	f.Fuzz(func(t *testing.T, byteRange string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/calls/c-1/recording", nil)
		req.Header.Set("Range", byteRange)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusOK:
			if !bytes.Equal(body, rangeObject) {
				t.Fatalf("Range %q: 200 with %d bytes, want the whole %d", byteRange, len(body), len(rangeObject))
			}
		case http.StatusPartialContent:
			var first, last, size int
			cr := rec.Header().Get("Content-Range")
			if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &first, &last, &size); err != nil || size != len(rangeObject) ||
				first < 0 || last < first || last >= size || !bytes.Equal(body, rangeObject[first:last+1]) {
				t.Fatalf("Range %q: 206 with Content-Range %q and %d bytes", byteRange, cr, len(body))
			}
		case http.StatusRequestedRangeNotSatisfiable:
		case http.StatusBadRequest:
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Range %q: 400 with Content-Type %q", byteRange, ct)
			}
		default:
			t.Fatalf("Range %q: status %d: %s", byteRange, rec.Code, body)
		}
	})
}
