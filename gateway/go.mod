module helpdesk/gateway

go 1.26.0

require (
	helpdesk/contracts v0.0.0
	helpdesk/infra v0.0.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/felixge/httpsnoop v1.1.0 // indirect
	github.com/getkin/kin-openapi v0.153.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/labstack/echo/v5 v5.4.4 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.72.0 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	helpdesk/services/identity v0.0.0
	helpdesk/services/ticket v0.0.0
)

replace helpdesk/contracts => ../contracts

replace helpdesk/infra => ../infra

replace helpdesk/services/ticket => ../services/ticket

replace helpdesk/services/identity => ../services/identity
replace helpdesk/services/knowledge => ../services/knowledge
