package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/rpc"
)

// recordingTypes maps the accepted Content-Types of an upload to the type
// the recording is stored with.
var recordingTypes = map[string]string{
	"audio/wav":      "audio/wav",
	"audio/x-wav":    "audio/wav",
	"audio/wave":     "audio/wav",
	"audio/vnd.wave": "audio/wav",
	"audio/mpeg":     "audio/mpeg",
}

// transferTime bounds an upload or a playback: the server's read and write
// timeouts are made for JSON, not for 64 MiB of audio.
const transferTime = 15 * time.Minute

// recordingRoutes adds PUT and GET /:call_id/recording to g, the calls
// group (/api/v1/calls, authenticated). The group must not read or check
// bodies (no s.validate): uploads are binary and up to
// callapi.MaxRecordingBytes. The recordings bucket is opened on first use
// through Config.Conn; the call-record service creates it.
func (s *Server) recordingRoutes(g *echo.Group) {
	api := &recordingAPI{
		conn: s.cfg.Conn, store: &recordingStore{conn: s.cfg.Conn},
		maxBytes: callapi.MaxRecordingBytes, timeout: s.cfg.RequestTimeout, logger: s.cfg.Logger,
	}
	api.register(g)
}

// recordingAPI uploads and plays call recordings.
type recordingAPI struct {
	conn     *nats.Conn
	store    *recordingStore
	maxBytes int64
	// timeout bounds a service request.
	timeout time.Duration
	logger  *slog.Logger
}

func (a *recordingAPI) register(g *echo.Group) {
	handle(g, http.MethodPut, "/:call_id/recording", authz.CallRecordingUpload, a.upload)
	handle(g, http.MethodGet, "/:call_id/recording", authz.CallRecordingPlay, a.play)
}

// recordingStore opens the recordings bucket once it exists.
type recordingStore struct {
	conn *nats.Conn
	mu   sync.Mutex
	os   jetstream.ObjectStore
}

func (r *recordingStore) open(ctx context.Context) (jetstream.ObjectStore, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.os != nil {
		return r.os, nil
	}
	js, err := jetstream.New(r.conn)
	if err != nil {
		return nil, fmt.Errorf("recordings store: %w", err)
	}
	store, err := js.ObjectStore(ctx, callapi.RecordingsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, problem.New(problem.CodeUnavailable, "the recordings store does not exist yet: the call-record service creates it when it starts")
	}
	if err != nil {
		return nil, fmt.Errorf("open recordings store %s: %w", callapi.RecordingsBucket, err)
	}
	r.os = store
	return store, nil
}

// recordingObjectName is the object name the call-record service expects
// (command.RecordingObjectName there).
func recordingObjectName(callID, sha256hex string) string {
	return "calls/" + callapi.CallAggregateID(callID) + "/" + sha256hex
}

func callIDParam(c *echo.Context) (string, error) {
	id := c.Param("call_id")
	if id == "" || !utf8.ValidString(id) || utf8.RuneCountInString(id) > 128 {
		return "", problem.InvalidArgument("call_id", "must be 1 to 128 characters")
	}
	return id, nil
}

// allowSlowTransfer gives the request transferTime to read its body and
// write its answer. Writers that cannot (test recorders) are left as they are.
func allowSlowTransfer(c *echo.Context) {
	rc := http.NewResponseController(c.Response())
	deadline := time.Now().Add(transferTime)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}

// upload handles PUT /calls/:call_id/recording: it checks the type, the
// magic bytes and the size, puts the audio into the recordings store under
// its SHA-256 and asks the call-record service to attach it to the call.
// When the service refuses, the object is deleted again unless it was
// already stored; when the service's answer is unknown (unavailable,
// internal error), the object stays, so that a retry finds it.
func (a *recordingAPI) upload(c *echo.Context) error {
	callID, err := callIDParam(c)
	if err != nil {
		return err
	}
	if role := callerOf(c).Role; !authz.Allowed(role, authz.CallRecordingUpload) { // before the body is read
		return problem.New(problem.CodePermissionDenied, "uploading a recording is not for your role (%s)", role)
	}
	contentType, err := recordingType(c.Request().Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	if c.Request().ContentLength > a.maxBytes {
		return a.tooLarge()
	}
	allowSlowTransfer(c)
	file, size, sum, err := a.spool(c.Request().Body, contentType)
	if err != nil {
		return err
	}
	defer func() {
		file.Close()
		os.Remove(file.Name())
	}()

	ctx := c.Request().Context()
	store, err := a.store.open(ctx)
	if err != nil {
		return err
	}
	name := recordingObjectName(callID, sum)
	existed, err := objectExists(ctx, store, name)
	if err != nil {
		return err
	}
	if !existed {
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind recording upload: %w", err)
		}
		meta := jetstream.ObjectMeta{Name: name, Headers: nats.Header{"Content-Type": []string{contentType}}}
		if _, err := store.Put(ctx, meta, file); err != nil {
			return fmt.Errorf("put recording %s: %w", name, err)
		}
	}

	rctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	raw, err := rpc.CallRaw(rctx, a.conn, subjects.Endpoint(subjects.ServiceCallRecord, callapi.EndpointStoreRecord),
		callapi.StoreRecording{CallID: callID, Object: name, ContentType: contentType, Size: size, SHA256: sum})
	if err != nil {
		if !existed && refused(err) {
			a.discard(ctx, store, name)
		}
		return err
	}
	return c.JSONBlob(http.StatusCreated, raw)
}

// recordingType returns the stored type of an upload's Content-Type.
func recordingType(header string) (string, error) {
	mt, _, err := mime.ParseMediaType(header)
	if t, ok := recordingTypes[strings.ToLower(mt)]; ok && err == nil {
		return t, nil
	}
	return "", problem.InvalidArgument("Content-Type",
		"must be audio/wav (or audio/x-wav, audio/wave, audio/vnd.wave) for WAV or audio/mpeg for MP3")
}

func (a *recordingAPI) tooLarge() error {
	limit := fmt.Sprintf("%d bytes", a.maxBytes)
	if a.maxBytes%(1<<20) == 0 {
		limit = fmt.Sprintf("%d MiB", a.maxBytes>>20)
	}
	return problem.InvalidArgument("body", "is larger than the recording limit of "+limit)
}

// spool copies an upload to a temporary file while hashing it, so that no
// upload is held in memory, and checks that it is not empty, not too large
// and starts like its type. It returns the file, its size and its SHA-256.
// The caller closes and removes the file.
func (a *recordingAPI) spool(body io.Reader, contentType string) (*os.File, int64, string, error) {
	limited := io.LimitReader(body, a.maxBytes+1)
	head := make([]byte, 12)
	n, err := io.ReadFull(limited, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, "", problem.New(problem.CodeInvalidArgument, "cannot read the recording: %v", err)
	}
	head = head[:n]
	if n == 0 {
		return nil, 0, "", problem.InvalidArgument("body", "is empty: send the audio")
	}
	if !startsLike(contentType, head) {
		return nil, 0, "", problem.InvalidArgument("body", "does not start like "+contentType+
			` audio (WAV: "RIFF" size "WAVE"; MP3: "ID3" or an MPEG frame header)`)
	}
	file, err := os.CreateTemp("", "helpdesk-recording-*")
	if err != nil {
		return nil, 0, "", fmt.Errorf("spool recording: %w", err)
	}
	fail := func(err error) (*os.File, int64, string, error) {
		file.Close()
		os.Remove(file.Name())
		return nil, 0, "", err
	}
	hash := sha256.New()
	w := io.MultiWriter(file, hash)
	if _, err := w.Write(head); err != nil {
		return fail(fmt.Errorf("spool recording: %w", err))
	}
	copied, err := io.Copy(w, limited)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			return fail(fmt.Errorf("spool recording: %w", err))
		}
		return fail(problem.New(problem.CodeInvalidArgument, "cannot read the recording: %v", err))
	}
	size := int64(n) + copied
	if size > a.maxBytes {
		return fail(a.tooLarge())
	}
	return file, size, hex.EncodeToString(hash.Sum(nil)), nil
}

// startsLike checks the magic bytes of WAV ("RIFF", 4 bytes of size,
// "WAVE") and MP3 (an ID3 tag or an MPEG audio frame sync, 11 bits set).
func startsLike(contentType string, head []byte) bool {
	switch contentType {
	case "audio/wav":
		return len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WAVE"))
	case "audio/mpeg":
		return bytes.HasPrefix(head, []byte("ID3")) || (len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0)
	}
	return false
}

func objectExists(ctx context.Context, store jetstream.ObjectStore, name string) (bool, error) {
	_, err := store.GetInfo(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return false, nil
	}
	return false, fmt.Errorf("info of recording %s: %w", name, err)
}

// refused tells whether the service certainly did not attach the object:
// it answered with a refusal, not with an unknown outcome.
func refused(err error) bool {
	code := problem.CodeOf(err)
	return problem.As(err) != nil && code != problem.CodeUnavailable && code != problem.CodeInternal
}

// discard deletes an object the service refused, even when the client has
// gone.
func (a *recordingAPI) discard(ctx context.Context, store jetstream.ObjectStore, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.timeout)
	defer cancel()
	if err := store.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		a.logger.WarnContext(ctx, "refused recording left in the store", "object", name, "error", err)
	}
}

// play handles GET /calls/:call_id/recording: the call-record service
// checks the caller and records the playback, then the audio is streamed
// with Range support (206 for a range, 416 for one beyond the end).
func (a *recordingAPI) play(c *echo.Context) error {
	callID, err := callIDParam(c)
	if err != nil {
		return err
	}
	byteRange := c.Request().Header.Get("Range")
	if len(byteRange) > 200 {
		return problem.InvalidArgument("Range", "must be at most 200 characters")
	}
	if strings.Contains(byteRange, ",") {
		// Several ranges would be served from a goroutine of ServeContent
		// that outlives this handler, and re-read the object per range:
		// answer them with the whole recording, as HTTP allows.
		c.Request().Header.Del("Range")
		byteRange = ""
	}
	ctx := c.Request().Context()
	rctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	obj, err := rpc.Call[callapi.RecordingObject](rctx, a.conn, subjects.Endpoint(subjects.ServiceCallRecord, callapi.EndpointPlayRecord),
		callapi.PlayRecording{CallID: callID, Range: byteRange})
	if err != nil {
		return err
	}
	store, err := a.store.open(ctx)
	if err != nil {
		return err
	}
	info, err := store.GetInfo(ctx, obj.Object)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return problem.New(problem.CodeNotFound, "the audio of the recording of call %s is not in the recordings store", callID)
	}
	if err != nil {
		return fmt.Errorf("info of recording %s: %w", obj.Object, err)
	}
	h := c.Response().Header()
	if emptySuffixRange(byteRange) {
		// http.ServeContent answers "bytes=-0" with 206 and an empty
		// body; RFC 9110 makes a zero-length suffix unsatisfiable.
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
		return c.NoContent(http.StatusRequestedRangeNotSatisfiable)
	}
	h.Set("Content-Type", obj.ContentType)
	h.Set("ETag", `"`+obj.SHA256+`"`)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Cache-Control", "private")
	allowSlowTransfer(c)
	r := &objectReader{ctx: ctx, store: store, name: obj.Object, size: int64(info.Size)}
	defer r.Close()
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, r)
	if r.err != nil && ctx.Err() == nil {
		a.logger.WarnContext(ctx, "recording playback broke off", "object", obj.Object, "error", r.err)
	}
	return nil
}

// objectReader reads an object of the recordings store as the
// io.ReadSeeker http.ServeContent wants. Seek only remembers the offset;
// Read opens the object on first use, skips to the offset, and opens it
// again after a seek backwards. Not safe for concurrent use.
type objectReader struct {
	ctx   context.Context
	store jetstream.ObjectStore
	name  string
	size  int64
	off   int64                  // where the next Read reads
	body  jetstream.ObjectResult // the open object, or nil
	pos   int64                  // where body's next byte is
	err   error                  // the first error reading the store
}

// Seek sets the offset of the next Read.
func (r *objectReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("seek %s: invalid whence %d", r.name, whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek %s: negative position %d", r.name, offset)
	}
	r.off = offset
	return offset, nil
}

// Read reads from the offset.
func (r *objectReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if r.body != nil && r.pos > r.off {
		r.body.Close()
		r.body = nil
	}
	if r.body == nil {
		body, err := r.store.Get(r.ctx, r.name)
		if err != nil {
			return 0, r.fail(fmt.Errorf("open recording %s: %w", r.name, err))
		}
		r.body, r.pos = body, 0
	}
	if r.pos < r.off {
		skipped, err := io.CopyN(io.Discard, r.body, r.off-r.pos)
		r.pos += skipped
		if err != nil {
			return 0, r.fail(fmt.Errorf("skip to %d in recording %s: %w", r.off, r.name, err))
		}
	}
	n, err := r.body.Read(p)
	r.pos += int64(n)
	r.off = r.pos
	if err != nil && !errors.Is(err, io.EOF) {
		r.fail(fmt.Errorf("read recording %s: %w", r.name, err))
	}
	return n, err
}

func (r *objectReader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return err
}

// Close closes the open object, if any.
func (r *objectReader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

// emptySuffixRange tells whether a Range header asks for the last zero
// bytes ("bytes=-0").
func emptySuffixRange(byteRange string) bool {
	spec, ok := strings.CutPrefix(strings.TrimSpace(byteRange), "bytes=")
	if !ok {
		return false
	}
	digits, ok := strings.CutPrefix(strings.TrimSpace(spec), "-")
	return ok && digits != "" && strings.Trim(digits, "0") == ""
}
