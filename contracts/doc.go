// Package contracts is the published language of Helpdesk: the event
// envelope and event payloads that integrations subscribe to, the NATS
// subjects they travel on, the command and query messages the gateway sends
// to services, the error codes those carry, and the gateway's OpenAPI
// document. Nothing here does I/O.
package contracts
