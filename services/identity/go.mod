module helpdesk/services/identity

go 1.26.0

require (
	helpdesk/contracts v0.0.0
	helpdesk/infra v0.0.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
)

replace helpdesk/contracts => ../../contracts

replace helpdesk/infra => ../../infra

replace helpdesk/gateway => ../../gateway

replace helpdesk/services/ticket => ../../services/ticket
replace helpdesk/services/knowledge => ../knowledge
