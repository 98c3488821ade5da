// A stand-in live-chat widget for the example sites: it shows the chat button a provider would,
// without contacting any chat service.
(function () {
  if (document.getElementById("demo-chat")) return;
  var button = document.createElement("button");
  button.id = "demo-chat";
  button.type = "button";
  button.textContent = "Chat with Leaf & Kettle";
  button.className = "demo-chat";
  button.addEventListener("click", function () {
    button.textContent = "An agent will be with you shortly (demo widget)";
  });
  document.body.appendChild(button);
})();
