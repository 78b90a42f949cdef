package adapters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/eventstore"
)

// purgingKey is the object metadata key MarkPurging sets.
const purgingKey = "helpdesk-purging"

// Recordings is the JetStream object store of call recordings (bucket
// callapi.RecordingsBucket). The gateway puts the audio; the service reads
// what was stored and deletes the audio of purged recordings. It is safe
// for concurrent use.
type Recordings struct {
	store jetstream.ObjectStore
}

// OpenRecordings creates the recordings bucket (file storage, replicas
// copies or as many as it already has) or opens it when it exists. The
// call-record service owns the bucket: the gateway only opens it. The
// bucket has no age or size limit: recordings are deleted by the retention
// purge, after the working days the deployment keeps them, and a limit
// would lose or refuse recordings silently.
func OpenRecordings(ctx context.Context, js jetstream.JetStream, replicas int) (*Recordings, error) {
	replicas, err := eventstore.StreamReplicas(ctx, js, "OBJ_"+callapi.RecordingsBucket, max(replicas, 1))
	if err != nil {
		return nil, fmt.Errorf("recordings bucket %s: %w", callapi.RecordingsBucket, err)
	}
	store, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      callapi.RecordingsBucket,
		Description: "Helpdesk call recordings (WAV, MP3) under calls/<call aggregate id>/<sha256>",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("recordings bucket %s: %w", callapi.RecordingsBucket, err)
	}
	return &Recordings{store: store}, nil
}

// Info returns the size of a stored object and its SHA-256 in lowercase
// hex, both as the object store computed them when the object was put. A
// missing object is a problem.CodeNotFound error.
func (r *Recordings) Info(ctx context.Context, object string) (int64, string, error) {
	info, err := r.store.GetInfo(ctx, object)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0, "", problem.NotFound("recording object", object)
	}
	if err != nil {
		return 0, "", fmt.Errorf("info of recording object %s: %w", object, err)
	}
	// The store writes the digest as "SHA-256=<base64url>".
	if !strings.HasPrefix(info.Digest, "SHA-256=") {
		return 0, "", fmt.Errorf("recording object %s: unexpected digest %q", object, info.Digest)
	}
	sum, err := jetstream.DecodeObjectDigest(info.Digest)
	if err != nil || len(sum) != sha256.Size {
		return 0, "", fmt.Errorf("recording object %s: malformed digest %q: %v", object, info.Digest, err)
	}
	return int64(info.Size), hex.EncodeToString(sum), nil
}

// MarkPurging notes in the object's metadata that its recording is being
// purged, before call.recording_purged is appended: should the object
// survive the purge (a crash or a failed delete after the event), Purging
// finds it again. A missing object is no error.
func (r *Recordings) MarkPurging(ctx context.Context, object string) error {
	info, err := r.store.GetInfo(ctx, object)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("info of recording object %s: %w", object, err)
	}
	if info.Metadata[purgingKey] != "" {
		return nil
	}
	meta := info.ObjectMeta
	meta.Metadata = maps.Clone(meta.Metadata)
	if meta.Metadata == nil {
		meta.Metadata = map[string]string{}
	}
	meta.Metadata[purgingKey] = "true"
	err = r.store.UpdateMeta(ctx, object, meta)
	if errors.Is(err, jetstream.ErrUpdateMetaDeleted) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark recording object %s as purging: %w", object, err)
	}
	return nil
}

// Purging lists the objects marked by MarkPurging that are still stored.
// It reads the metadata of every object in the bucket.
func (r *Recordings) Purging(ctx context.Context) ([]string, error) {
	infos, err := r.store.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list recording objects: %w", err)
	}
	var out []string
	for _, info := range infos {
		if info.Metadata[purgingKey] != "" && !info.Deleted {
			out = append(out, info.Name)
		}
	}
	return out, nil
}

// Delete deletes an object; a missing object is no error.
func (r *Recordings) Delete(ctx context.Context, object string) error {
	err := r.store.Delete(ctx, object)
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("delete recording object %s: %w", object, err)
	}
	return nil
}
