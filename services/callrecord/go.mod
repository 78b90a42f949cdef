module helpdesk/services/callrecord

go 1.26.0

require (
	helpdesk/contracts v0.0.0
	helpdesk/infra v0.0.0
)

replace helpdesk/contracts => ../../contracts

replace helpdesk/infra => ../../infra
