// Joins realm1 on the router that served this page, shows the events of
// com.example.tick as they arrive, and calls the Go procedure
// com.example.countdown with progressive results.
"use strict";

const wsURL = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
const $ = (id) => document.getElementById(id);

const connection = new autobahn.Connection({ url: wsURL, realm: "realm1", max_retries: 0 });

connection.onopen = (session) => {
  $("status").textContent = "joined realm1 as session " + session.id;

  let received = 0;
  session.subscribe("com.example.tick", (args) => {
    received++;
    $("event-count").textContent = String(received);
    const li = document.createElement("li");
    li.textContent = "tick " + args[0];
    $("events").prepend(li);
    while ($("events").children.length > 5) {
      $("events").lastChild.remove();
    }
  });

  $("call").disabled = false;
  $("call").onclick = () => {
    $("progress").textContent = "";
    $("result").textContent = "…";
    const seen = [];
    // autobahn's promise (when.js) takes a third callback: each
    // progressive result, before the final one.
    session.call("com.example.countdown", [3], {}, { receive_progress: true }).then(
      (res) => { $("result").textContent = res; },
      (err) => { $("result").textContent = "error: " + err.error; },
      (progress) => { seen.push(progress); $("progress").textContent = seen.join(" "); },
    );
  };
};

connection.onclose = (reason, details) => {
  $("status").textContent = "disconnected: " + reason + (details.reason ? " (" + details.reason + ")" : "");
  $("call").disabled = true;
};

connection.open();
