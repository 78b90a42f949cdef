package command

import (
	"context"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/services/callrecord/domain/acd"
	"helpdesk/services/callrecord/domain/call"
)

// IngestCDRHandler records the call detail records a PBX sends at the end
// of its calls.
type IngestCDRHandler struct {
	d     Deps
	board HotlineBoard
}

// NewIngestCDRHandler returns the handler.
func NewIngestCDRHandler(d Deps, board HotlineBoard) IngestCDRHandler {
	d.mustBeComplete("NewIngestCDRHandler")
	if board == nil {
		panic("NewIngestCDRHandler: nil board")
	}
	return IngestCDRHandler{d: d, board: board}
}

// Handle records each CDR on its call. A call still live on the board
// (the PBX sent no end report) is ended with the CDR's disposition first,
// with the same hotline.call_ended event the end report gives. A CDR
// already recorded (same key) changes nothing and counts as a duplicate;
// a CDR of a call the board never saw makes the call known.
func (h IngestCDRHandler) Handle(ctx context.Context, recs []callapi.CDRIngested) (callapi.CDRResult, error) {
	res := callapi.CDRResult{CallIDs: []string{}}
	if err := mayAct(ctx, "sending CDRs", authz.CallCDRIngest); err != nil {
		return res, err
	}
	for _, rec := range recs {
		_, err := onBoard(ctx, h.board, func(b *acd.Board, now time.Time) (bool, error) {
			_, live := b.Ended(rec.CallID, rec.Disposition, now)
			return live, nil
		})
		if err != nil {
			return res, err
		}
		fresh := false
		_, err = h.d.Calls.Update(ctx, callapi.CallAggregateID(rec.CallID), 0, func(c *call.Call) ([]events.Payload, error) {
			evs := c.IngestCDR(rec)
			fresh = len(evs) > 0
			return evs, nil
		})
		if err != nil {
			return res, err
		}
		if fresh {
			res.Ingested++
		} else {
			res.Duplicates++
		}
		res.CallIDs = append(res.CallIDs, rec.CallID)
	}
	return res, nil
}
