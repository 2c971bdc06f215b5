// Package web is civicgrid's server-rendered user interface: html/template
// pages with htmx for partial updates and Leaflet for maps, in Chinese by
// default and in English on request.
//
// Handlers parse the request, call the store with the signed-in actor (the
// store enforces role and scope), and render a typed page struct. Every
// template is parsed once per language when New runs, so a broken template
// or an unknown translation key stops the server from starting rather than
// failing in front of a user.
package web
