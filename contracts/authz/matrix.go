package authz

// Operations of signing in and of one's own account.
const (
	AuthLogin          Operation = "auth.login"
	AuthRefresh        Operation = "auth.refresh"
	AuthLogout         Operation = "auth.logout"
	AuthPasswordChange Operation = "auth.password.change"
	AccountRead        Operation = "account.read"
)

// Operations of user administration.
const (
	UserCreate        Operation = "user.create"
	UserRead          Operation = "user.read"
	UserList          Operation = "user.list"
	UserRoleChange    Operation = "user.role.change"
	UserPasswordReset Operation = "user.password.reset"
	UserUnlock        Operation = "user.unlock"
	UserDisable       Operation = "user.disable"
	UserEnable        Operation = "user.enable"
)

// Operations of the audit trail.
const (
	AuditEventsRead Operation = "audit.events.read"
)

// Operations on tickets.
const (
	TicketOpen        Operation = "ticket.open"
	TicketList        Operation = "ticket.list"
	TicketRead        Operation = "ticket.read"
	TicketHistoryRead Operation = "ticket.history.read"
	TicketAssign      Operation = "ticket.assign"
	TicketStart       Operation = "ticket.start"
	TicketReply       Operation = "ticket.reply"
	TicketResolve     Operation = "ticket.resolve"
	TicketClose       Operation = "ticket.close"
	TicketReopen      Operation = "ticket.reopen"
	// Service rules of the ticket service.
	TicketReadAll      Operation = "ticket.read.all"
	TicketInternalNote Operation = "ticket.note.internal"
	TicketOpenForOther Operation = "ticket.open.for_other"
	TicketWork         Operation = "ticket.work"
	TicketCloseAny     Operation = "ticket.close.any"
)

// Operations on the knowledge base.
const (
	KBCategoryList      Operation = "kb.category.list"
	KBCategoryManage    Operation = "kb.category.manage"
	KBArticleDraft      Operation = "kb.article.draft"
	KBArticleList       Operation = "kb.article.list"
	KBArticleRead       Operation = "kb.article.read"
	KBArticleEdit       Operation = "kb.article.edit"
	KBArticlePublish    Operation = "kb.article.publish"
	KBArticleArchive    Operation = "kb.article.archive"
	KBArticleVote       Operation = "kb.article.vote"
	KBArticleVersions   Operation = "kb.article.versions"
	KBSearch            Operation = "kb.search"
	KBSuggest           Operation = "kb.suggest"
	KBArticleReadDrafts Operation = "kb.article.read.unpublished"
)

// Operations of the hotline and its calls.
const (
	PBXKeyManage        Operation = "hotline.pbx_key.manage"
	PBXKeyList          Operation = "hotline.pbx_key.list"
	HotlineAgentList    Operation = "hotline.agent.list"
	HotlineAgentDrive   Operation = "hotline.agent.drive"
	CallList            Operation = "call.list"
	CallStats           Operation = "call.stats"
	CallRead            Operation = "call.read"
	CallOffer           Operation = "call.offer"
	CallReport          Operation = "call.report"
	CallTransfer        Operation = "call.transfer"
	CallRate            Operation = "call.rate"
	CallTicketOpen      Operation = "call.ticket.open"
	CallResolutionNote  Operation = "call.resolution.note"
	CallCDRIngest       Operation = "call.cdr.ingest"
	CallRecordingUpload Operation = "call.recording.upload"
	CallRecordingPlay   Operation = "call.recording.play"
	// Service rules of the call-record service.
	HotlineAgentDriveAny Operation = "hotline.agent.drive.any"
	HotlineAgentServe    Operation = "hotline.agent.serve"
	CallTransferAny      Operation = "call.transfer.any"
	CallNoteRead         Operation = "call.note.read"
	CallNumbersRead      Operation = "call.numbers.read"
)

// Operations of surveys and satisfaction.
const (
	SurveyList                   Operation = "survey.list"
	SurveyRead                   Operation = "survey.read"
	SurveyRespond                Operation = "survey.respond"
	SatisfactionStats            Operation = "satisfaction.stats"
	SatisfactionFollowUpList     Operation = "satisfaction.followup.list"
	SatisfactionFollowUpComplete Operation = "satisfaction.followup.complete"
	SurveyReadAll                Operation = "survey.read.all"
)

// Operations on custom-development requests.
const (
	CustomizationSubmit      Operation = "customization.submit"
	CustomizationList        Operation = "customization.list"
	CustomizationBoard       Operation = "customization.board"
	CustomizationStats       Operation = "customization.stats"
	CustomizationRead        Operation = "customization.read"
	CustomizationHistoryRead Operation = "customization.history.read"
	// CustomizationWork is a step staff take (assess, estimate, schedule…).
	CustomizationWork Operation = "customization.step.work"
	// CustomizationDecide is a step the requester takes (approve, accept…).
	CustomizationDecide Operation = "customization.step.decide"
	// Service rule: see every request, not only one's own.
	CustomizationReadAll Operation = "customization.read.all"
)

// Groups of roles the matrix repeats.
var (
	everyone  = []string{Customer, Agent, Supervisor, Admin, Auditor}
	users     = []string{Customer, Agent, Supervisor, Admin} // business users: not the auditor
	staff     = []string{Agent, Supervisor, Admin}
	oversight = []string{Supervisor, Admin}
	admins    = []string{Admin}
	readStaff = []string{Agent, Supervisor, Admin, Auditor}
)

// matrix is the authorization matrix. Ownership (a customer's own
// tickets, surveys and requests) is checked by the services on top of it.
var matrix = []Rule{
	{Op: AuthLogin, Summary: "sign in", Public: true},
	{Op: AuthRefresh, Summary: "refresh a session", Public: true},
	{Op: AuthLogout, Summary: "sign out", Roles: everyone},
	{Op: AuthPasswordChange, Summary: "change their own password", Roles: everyone},
	{Op: AccountRead, Summary: "read their own account", Roles: everyone},

	{Op: UserCreate, Summary: "create accounts", Roles: admins},
	{Op: UserRead, Summary: "read accounts", Own: "customers their own", Roles: users},
	{Op: UserList, Summary: "list accounts", Roles: admins},
	{Op: UserRoleChange, Summary: "change an account's role", Roles: admins},
	{Op: UserPasswordReset, Summary: "reset an account's password", Roles: admins},
	{Op: UserUnlock, Summary: "unlock accounts", Roles: admins},
	{Op: UserDisable, Summary: "disable accounts", Roles: admins},
	{Op: UserEnable, Summary: "enable accounts", Roles: admins},

	{Op: AuditEventsRead, Summary: "read the audit trail", Roles: []string{Auditor}},

	{Op: TicketOpen, Summary: "open tickets", Roles: users},
	{Op: TicketList, Summary: "list tickets", Own: "customers their own", Roles: users},
	{Op: TicketRead, Summary: "read a ticket's current state", Own: "customers their own", Roles: users},
	{Op: TicketHistoryRead, Summary: "read a ticket's history or past state", Own: "customers their own", Roles: everyone},
	{Op: TicketAssign, Summary: "assign tickets", Roles: staff},
	{Op: TicketStart, Summary: "start work on tickets", Roles: staff},
	{Op: TicketReply, Summary: "reply to tickets", Own: "customers their own", Roles: users},
	{Op: TicketResolve, Summary: "resolve tickets", Roles: staff},
	{Op: TicketClose, Summary: "close tickets", Own: "requesters confirm their own", Roles: users},
	{Op: TicketReopen, Summary: "reopen tickets", Own: "customers their own", Roles: users},
	{Op: TicketReadAll, Summary: "see every ticket, not only their own", Roles: readStaff, Service: true},
	{Op: TicketInternalNote, Summary: "write or read internal notes", Roles: staff, Service: true},
	{Op: TicketOpenForOther, Summary: "open tickets for someone else or with a chosen id", Roles: staff, Service: true},
	{Op: TicketWork, Summary: "be assigned tickets and wait on customers", Roles: staff, Service: true},
	{Op: TicketCloseAny, Summary: "close any ticket, giving a reason", Roles: oversight, Service: true},

	{Op: KBCategoryList, Summary: "list knowledge-base categories", Roles: users},
	{Op: KBCategoryManage, Summary: "manage knowledge-base categories", Roles: oversight},
	{Op: KBArticleDraft, Summary: "draft articles", Roles: staff},
	{Op: KBArticleList, Summary: "list articles", Own: "customers published ones", Roles: users},
	{Op: KBArticleRead, Summary: "read articles", Own: "customers published ones", Roles: users},
	{Op: KBArticleEdit, Summary: "edit articles", Roles: staff},
	{Op: KBArticlePublish, Summary: "publish articles", Roles: staff},
	{Op: KBArticleArchive, Summary: "archive articles", Roles: staff},
	{Op: KBArticleVote, Summary: "vote on articles", Roles: users},
	{Op: KBArticleVersions, Summary: "read an article's versions", Roles: staff},
	{Op: KBSearch, Summary: "search the knowledge base", Roles: users},
	{Op: KBSuggest, Summary: "get article suggestions", Roles: users},
	{Op: KBArticleReadDrafts, Summary: "see draft and archived articles", Roles: staff, Service: true},

	{Op: PBXKeyManage, Summary: "create or revoke PBX keys", Roles: admins},
	{Op: PBXKeyList, Summary: "list PBX keys", Roles: admins},
	{Op: HotlineAgentList, Summary: "list the hotline's agents", Roles: []string{Agent, Supervisor, Admin, PBX}},
	{Op: HotlineAgentDrive, Summary: "sign hotline agents in or change their state", Own: "agents themselves", Roles: []string{Agent, Supervisor, Admin, PBX}},
	{Op: CallList, Summary: "list calls", Roles: staff},
	{Op: CallStats, Summary: "read the hotline figures", Roles: staff},
	{Op: CallRead, Summary: "read a call", Roles: []string{Agent, Supervisor, Admin, PBX}},
	{Op: CallOffer, Summary: "offer calls to the hotline", Roles: []string{Admin, PBX}},
	{Op: CallReport, Summary: "report that calls were answered or ended", Roles: []string{Admin, PBX}},
	{Op: CallTransfer, Summary: "transfer calls", Own: "agents their own", Roles: []string{Agent, Supervisor, Admin, PBX}},
	{Op: CallRate, Summary: "rate calls", Roles: []string{Admin, PBX}},
	{Op: CallTicketOpen, Summary: "open tickets from calls", Roles: staff},
	{Op: CallResolutionNote, Summary: "note a call's resolution", Roles: staff},
	{Op: CallCDRIngest, Summary: "send call detail records", Roles: []string{Admin, PBX}},
	{Op: CallRecordingUpload, Summary: "upload call recordings", Roles: []string{Admin, PBX}},
	{Op: CallRecordingPlay, Summary: "listen to call recordings", Roles: staff},
	{Op: HotlineAgentDriveAny, Summary: "sign in or change any hotline agent", Roles: []string{Supervisor, Admin, PBX}, Service: true},
	{Op: HotlineAgentServe, Summary: "take hotline calls as an agent", Roles: staff, Service: true},
	{Op: CallTransferAny, Summary: "transfer any call", Roles: []string{Supervisor, Admin, PBX}, Service: true},
	{Op: CallNoteRead, Summary: "read the agent's question and resolution of a call", Roles: staff, Service: true},
	{Op: CallNumbersRead, Summary: "see callers' full phone numbers", Roles: admins, Service: true},

	{Op: SurveyList, Summary: "list surveys", Own: "customers their own", Roles: users},
	{Op: SurveyRead, Summary: "read surveys", Own: "customers their own", Roles: users},
	{Op: SurveyRespond, Summary: "answer surveys", Own: "their own", Roles: users},
	{Op: SatisfactionStats, Summary: "read the satisfaction figures", Roles: staff},
	{Op: SatisfactionFollowUpList, Summary: "list follow-ups", Roles: staff},
	{Op: SatisfactionFollowUpComplete, Summary: "complete follow-ups", Roles: oversight},
	{Op: SurveyReadAll, Summary: "see every survey, not only their own", Roles: staff, Service: true},

	{Op: CustomizationSubmit, Summary: "submit custom-development requests", Roles: users},
	{Op: CustomizationList, Summary: "list custom-development requests", Own: "customers their own", Roles: users},
	{Op: CustomizationBoard, Summary: "see the custom-development board", Own: "customers their own", Roles: users},
	{Op: CustomizationStats, Summary: "read the custom-development figures", Roles: staff},
	{Op: CustomizationRead, Summary: "read custom-development requests", Own: "customers their own", Roles: users},
	{Op: CustomizationHistoryRead, Summary: "read a custom-development request's history", Own: "customers their own", Roles: users},
	{Op: CustomizationWork, Summary: "take the staff's steps of custom-development requests", Roles: staff},
	{Op: CustomizationDecide, Summary: "take the requester's steps of custom-development requests", Own: "their own", Roles: users},
	{Op: CustomizationReadAll, Summary: "see every custom-development request, not only their own", Roles: staff, Service: true},
}
