// One WebSocket per page: every event the shop's server sends becomes a DOM
// event on <body> ("message.received" -> "oxy-message-received"), plus
// "oxy-conversation-<id>" and "oxy-channel-<id>" for events about one of
// them. Page fragments listen with hx-trigger="oxy-... from:body" and
// reload themselves; after a reconnect "oxy-reconnected" lets them catch up.
(() => {
  const state = document.getElementById("live-state");
  let delay = 1000;
  let wasOpen = false;

  function fire(name, detail) {
    document.body.dispatchEvent(new CustomEvent(name, { detail }));
  }

  function show(live) {
    if (!state) return;
    state.dataset.live = live ? "on" : "off";
    state.textContent = live ? state.dataset.onText : state.dataset.offText;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/dashboard/");
    socket.onopen = () => {
      show(true);
      delay = 1000;
      if (wasOpen) fire("oxy-reconnected", {});
      wasOpen = true;
    };
    socket.onmessage = (message) => {
      const { type, data } = JSON.parse(message.data);
      fire("oxy-" + type.replaceAll(".", "-"), data);
      if (data && data.conversation) fire("oxy-conversation-" + data.conversation, data);
      if (data && data.channel) fire("oxy-channel-" + data.channel, data);
    };
    socket.onclose = (event) => {
      show(false);
      if (event.code === 4403) return; // signed out: nothing to reconnect to
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  connect();
})();
