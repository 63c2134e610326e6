// Starts Swagger UI on the API docs page from the settings the page carries (no inline script: the page's
// Content-Security-Policy allows scripts from this site only).
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.dataset.config || "{}");
  config.url = container.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
