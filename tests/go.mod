module helpdesk/tests

go 1.26.0

replace helpdesk/contracts => ../contracts

replace helpdesk/infra => ../infra

replace helpdesk/gateway => ../gateway

replace helpdesk/services/ticket => ../services/ticket

replace helpdesk/services/identity => ../services/identity

require (
	helpdesk/contracts v0.0.0
	helpdesk/infra v0.0.0
)
