"""The HTTP face of Lawful: the app factory, the JSON API, the privacy center (people) and the
admin console (staff). Pages and endpoints are thin: they parse, authorise, call one service
and render."""
