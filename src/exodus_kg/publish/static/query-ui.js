// The query page: YASGUI on this server's /query, with the project's prefixes and the saved queries.
(function () {
  var config = JSON.parse(document.getElementById("config").textContent);
  var endpoint = new URL("query", window.location.href.replace(/[^/]*$/, "")).href;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: "exodus-kg-" + endpoint,
    yasqe: {
      value: config["default"],
      // Only local completions: the others ask hosts on the Internet.
      autocompleters: ["prefixes", "variables"],
    },
  });
  var prefixes = config.prefixes;
  function open(example) {
    var tab = yasgui.addTab(true, { name: example.name });
    tab.setQuery(example.query);
    var yasqe = tab.getYasqe();
    if (yasqe) { yasqe.addPrefixes(prefixes); }
  }
  var current = yasgui.getTab();
  if (current && current.getYasqe()) { current.getYasqe().addPrefixes(prefixes); }
  var select = document.getElementById("examples");
  config.examples.forEach(function (example, index) {
    var option = document.createElement("option");
    option.value = String(index);
    option.textContent = example.name + ": " + example.summary;
    select.appendChild(option);
  });
  select.addEventListener("change", function () {
    if (select.value !== "") { open(config.examples[Number(select.value)]); select.value = ""; }
  });
  window.exodusQueryUi = { yasgui: yasgui, examples: config.examples, open: open };
})();
