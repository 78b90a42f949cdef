package kb

import (
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
)

// Feedback is what readers think of one article: one vote per signed-in
// user (a new vote replaces the old) and the number of views. It is its own
// aggregate, so votes never make an editor's If-Match stale.
type Feedback struct {
	articleID string
	version   uint64
	votes     map[string]bool
	views     int
}

// Vote records the actor's vote on a published article; repeating the same
// vote records nothing.
func (f *Feedback) Vote(a Actor, helpful, published bool) ([]events.Payload, error) {
	if !signedIn(a) || !authz.Allowed(a.Role, authz.KBArticleVote) {
		return nil, denied("only signed-in users can vote")
	}
	if !published {
		return nil, problem409("only published articles take votes")
	}
	prev, voted := f.votes[a.ID]
	if voted && prev == helpful {
		return nil, nil
	}
	return f.record(kbapi.FeedbackVoted{Voter: a.ID, Helpful: helpful, Changed: voted}), nil
}

// CountViews records views counted up to until; no views record nothing.
func (f *Feedback) CountViews(views int, until time.Time) []events.Payload {
	if views <= 0 {
		return nil
	}
	return f.record(kbapi.FeedbackViewed{Views: views, Until: until.UTC()})
}

// FeedbackFromEvents rebuilds an article's feedback from its events.
func FeedbackFromEvents(evs []events.Envelope) (*Feedback, error) {
	f := &Feedback{}
	for _, e := range evs {
		var p events.Payload
		var err error
		switch e.Type {
		case kbapi.EventFeedbackVoted:
			p, err = decodeAs[kbapi.FeedbackVoted](e)
		case kbapi.EventFeedbackViewed:
			p, err = decodeAs[kbapi.FeedbackViewed](e)
		default:
			err = unknown(e)
		}
		if err != nil {
			return nil, err
		}
		f.apply(p)
		f.articleID, f.version = e.AggregateID, e.AggregateVersion
	}
	return f, nil
}

func (f *Feedback) apply(p events.Payload) {
	switch e := p.(type) {
	case kbapi.FeedbackVoted:
		if f.votes == nil {
			f.votes = map[string]bool{}
		}
		f.votes[e.Voter] = e.Helpful
	case kbapi.FeedbackViewed:
		f.views += e.Views
	}
}

func (f *Feedback) record(p events.Payload) []events.Payload {
	f.apply(p)
	return []events.Payload{p}
}

// Version is the stream sequence of the feedback's last event.
func (f *Feedback) Version() uint64 { return f.version }

// Counts are the feedback's totals.
func (f *Feedback) Counts() kbapi.Feedback {
	c := kbapi.Feedback{Views: f.views}
	for _, helpful := range f.votes {
		if helpful {
			c.Helpful++
		} else {
			c.NotHelpful++
		}
	}
	return c
}
