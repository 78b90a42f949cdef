package ticketapi

// Ticket statuses.
const (
	StatusNew               = "new"
	StatusAssigned          = "assigned"
	StatusInProgress        = "in_progress"
	StatusWaitingOnCustomer = "waiting_on_customer"
	StatusResolved          = "resolved"
	StatusClosed            = "closed"
)

// Priorities, P1 most urgent.
var Priorities = []string{"P1", "P2", "P3", "P4"}

// Channels through which a ticket can arrive.
var Channels = []string{"web", "phone", "remote", "email"}

// Limits on ticket fields, in characters (Unicode code points).
const (
	MaxTitle       = 200
	MaxDescription = 20000
	MaxReply       = 20000
	MaxReason      = 2000
	MaxCategory    = 100
)
