// The API reference: Swagger UI over the app's own OpenAPI document (ui/api_docs.py).
document.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("api-reference");
  if (!target || typeof SwaggerUIBundle !== "function") return;
  SwaggerUIBundle({
    url: target.dataset.spec,
    domNode: target,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    // the document is the app's own: no call to an outside validator
    validatorUrl: null,
  });
});
