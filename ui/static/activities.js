// "Record where I am" on the activity form: asks the browser for a position only when the
// person ticks the box (the browser asks for consent), and fills the form's hidden lat/lon.
// Delegated from the document, so it also works on fields htmx swapped in for another type.
document.addEventListener("change", (event) => {
  const box = event.target.closest("input[data-locate]");
  if (!box) return;
  const field = box.closest(".activity-location");
  const lat = field.querySelector("input[name=lat]");
  const lon = field.querySelector("input[name=lon]");
  const status = field.querySelector("[data-locate-status]");
  lat.value = lon.value = "";
  status.textContent = "";
  if (!box.checked) return;
  if (!navigator.geolocation) {
    box.checked = false;
    status.textContent = box.dataset.refused;
    return;
  }
  navigator.geolocation.getCurrentPosition((position) => {
    lat.value = position.coords.latitude;
    lon.value = position.coords.longitude;
  }, () => {
    box.checked = false;
    status.textContent = box.dataset.refused;
  }, {timeout: 10000});
});
