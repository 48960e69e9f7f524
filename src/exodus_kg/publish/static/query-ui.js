// The query page: YASGUI on this server's /query, with the project's prefixes and the saved queries.
(function () {
  var config = JSON.parse(document.getElementById("config").textContent);
  // sparql.html#example=NAME opens a saved query; "&run" also runs it (links from the query pages).
  // Read before YASGUI starts: it clears the address's fragment.
  var wanted = new URLSearchParams(window.location.hash.slice(1));
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
  function open(example) {
    var tab = yasgui.addTab(true, { name: example.name });
    tab.setQuery(example.query);
    return tab;
  }
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
  var named = config.examples.filter(function (example) { return example.name === wanted.get("example"); })[0];
  var tab = named ? open(named) : yasgui.getTab();
  if (wanted.has("run") && tab) { tab.query(); }
  window.exodusQueryUi = { yasgui: yasgui, examples: config.examples, open: open };
})();
