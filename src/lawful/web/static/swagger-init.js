// Starts Swagger UI on /docs; kept out of the page so no inline script needs allowing.
(function () {
  var root = document.getElementById("swagger-ui");
  if (typeof SwaggerUIBundle === "undefined") {
    return; // the viewer did not load: the fallback text stays
  }
  document.getElementById("docs-fallback").remove();
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // no badge fetched from the public validator: nothing leaves this server
  });
})();
