// Package openapi holds the OpenAPI 3 document of the REST gateway, the
// contract that web front ends and integrations code against. The gateway
// validates every request against it and serves it at /openapi.yaml.
package openapi

import _ "embed"

//go:embed openapi.yaml
var spec []byte

// Spec returns the OpenAPI document (YAML).
func Spec() []byte { return spec }
