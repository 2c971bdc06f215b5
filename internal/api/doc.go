// Package api is civicgrid's JSON API under /api/v1. Its routes are one
// table (routes.go); openapi.json describes them and a test keeps the two in
// step. Handlers parse, authorise through the store, call, and render;
// errors become {"error": {...}} with a status from auth.StatusOf.
package api
