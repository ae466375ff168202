/* Stegvis sandbox: chat with the bot as a Telegram user, through the emulator's control API.
   Plain JavaScript, no build step, no network beyond this server. */
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const BOT = params.get("bot") || "";
const STORE_KEY = "stegvis-sandbox-user" + (BOT ? "-" + BOT : "");
const LANG_NAMES = { sv: "Svenska", en: "English", ar: "العربية", fa: "فارسی/دری", uk: "Українська",
  so: "Soomaali", ti: "ትግርኛ" };

const app = {
  bot: null,
  users: [],
  user: null,
  view: null,
  version: null,
  poll: null, // AbortController of the running long poll
  editing: null, // message id being edited
  seenAnswers: new Set(),
  keyboardOpen: true,
};

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail || data);
    throw new Error(detail || response.statusText);
  }
  return data;
}

function withBot(body) {
  return BOT ? { ...body, bot: BOT } : body;
}

function botQuery(extra) {
  const q = new URLSearchParams(extra || {});
  if (BOT) q.set("bot", BOT);
  const s = q.toString();
  return s ? "?" + s : "";
}

function initials(name) {
  return (name || "?").trim().slice(0, 1).toUpperCase() || "?";
}

function showToast(text, alert) {
  const toast = $("toast");
  toast.textContent = text;
  toast.classList.toggle("alert", Boolean(alert));
  toast.hidden = false;
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => { toast.hidden = true; }, alert ? 4000 : 2500);
}

function showError(error) {
  showToast("⚠ " + (error && error.message ? error.message : String(error)), false);
}

/* ---------- users ---------- */

async function loadUsers() {
  app.users = await api("GET", "/_emulator/users");
  renderUsers();
}

function renderUsers() {
  const list = $("user-list");
  list.replaceChildren();
  for (const user of app.users) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.userId = user.user_id;
    if (app.user && app.user.user_id === user.user_id) button.setAttribute("aria-current", "true");
    const avatar = document.createElement("span");
    avatar.className = "avatar small";
    avatar.textContent = initials(user.first_name);
    const who = document.createElement("span");
    who.className = "who";
    const name = document.createElement("span");
    name.dir = "auto";
    name.textContent = user.first_name;
    if (user.role) {
      const badge = document.createElement("span");
      badge.className = "badge " + user.role;
      badge.textContent = user.role;
      name.append(" ", badge);
    }
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `id ${user.user_id} · ${LANG_NAMES[user.language_code] || user.language_code || "no language"}`;
    who.append(name, meta);
    button.append(avatar, who);
    button.addEventListener("click", () => selectUser(user));
    li.append(button);
    list.append(li);
  }
}

function openUsers(open) {
  $("users-panel").hidden = !open;
  $("users-button").setAttribute("aria-expanded", String(open));
  if (open) {
    loadUsers().catch(showError);
    $("new-first-name").focus();
  }
}

async function createUser(event) {
  event.preventDefault();
  const form = event.target;
  const body = {
    first_name: form.first_name.value.trim(),
    role: form.role.value,
    language_code: form.language_code.value,
  };
  if (!body.first_name) return;
  const join = form.join && form.join.checked;
  try {
    const user = await api("POST", "/_emulator/users", body);
    form.reset();
    await loadUsers();
    selectUser(user);
    if (join) await joinWithInvite(user);
  } catch (error) {
    showError(error);
  }
}

async function joinWithInvite(user) {
  // `stegvis up` hands out invite tokens of demo pairs; the plain emulator has no such route.
  const response = await fetch("/_sandbox/invite", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ role: user.role }),
  });
  if (response.status === 404 || response.status === 405) return;
  const data = await response.json();
  if (!response.ok) throw new Error(data.detail || response.statusText);
  showToast(`Opening your ${user.role} invite link…`);
  await sendText(`/start ${data.start}`);
}

function selectUser(user) {
  app.user = user;
  app.view = null;
  app.version = null;
  app.seenAnswers = new Set();
  localStorage.setItem(STORE_KEY, String(user.user_id));
  $("current-user-avatar").textContent = initials(user.first_name);
  $("current-user").textContent = `${user.first_name}${user.role ? " · " + user.role : ""}`;
  document.documentElement.lang = user.language_code || "en";
  cancelEdit();
  openUsers(false);
  $("messages").replaceChildren();
  startPolling();
}

/* ---------- polling the chat ---------- */

function startPolling() {
  if (app.poll) app.poll.abort();
  const controller = new AbortController();
  app.poll = controller;
  const userId = app.user.user_id;
  (async () => {
    while (!controller.signal.aborted) {
      try {
        const extra = app.version === null ? {} : { version: app.version, wait: 25 };
        const response = await fetch(`/_emulator/chats/${userId}${botQuery(extra)}`,
          { signal: controller.signal });
        if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
        const view = await response.json();
        if (controller.signal.aborted) return;
        app.version = view.version;
        render(view);
      } catch (error) {
        if (controller.signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();
}

/* ---------- rendering ---------- */

const STYLE_ORDER = ["text_link", "url", "text_mention", "mention", "blockquote",
  "expandable_blockquote", "pre", "code", "bold", "italic", "underline", "strikethrough", "spoiler"];

function deepLinkStart(href) {
  // https://t.me/<bot>?start=<token>  or  tg://resolve?domain=<bot>&start=<token>
  try {
    const url = new URL(href);
    const username = app.view ? app.view.bot.username.toLowerCase() : "";
    let name = "";
    if ((url.protocol === "https:" || url.protocol === "http:") &&
        (url.hostname === "t.me" || url.hostname === "telegram.me")) {
      name = url.pathname.replace(/^\//, "").split("/")[0];
    } else if (url.protocol === "tg:" && url.hostname === "resolve") {
      name = url.searchParams.get("domain") || "";
    } else {
      return null;
    }
    if (name.toLowerCase() !== username) return null;
    return url.searchParams.has("start") ? url.searchParams.get("start") : null;
  } catch (_) {
    return null;
  }
}

function makeLink(href, child) {
  const a = document.createElement("a");
  a.href = href;
  a.append(child);
  const start = deepLinkStart(href);
  if (start !== null) {
    a.dataset.start = start;
    a.title = `Start the bot with "${start}"`;
  } else {
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  return a;
}

function wrap(node, entity, runText) {
  let el;
  switch (entity.type) {
    case "bold": el = document.createElement("b"); break;
    case "italic": el = document.createElement("i"); break;
    case "underline": el = document.createElement("u"); break;
    case "strikethrough": el = document.createElement("s"); break;
    case "code": el = document.createElement("code"); break;
    case "pre": el = document.createElement("span"); el.className = "pre"; break;
    case "blockquote":
    case "expandable_blockquote": el = document.createElement("span"); el.className = "quote"; break;
    case "spoiler": el = document.createElement("span"); el.className = "spoiler"; break;
    case "text_link": return makeLink(entity.url, node);
    case "url": return makeLink(/^[a-z]+:/i.test(entity._text) ? entity._text : "https://" + entity._text, node);
    default: return node;
  }
  el.append(node);
  return el;
}

function renderText(text, entities) {
  const fragment = document.createDocumentFragment();
  if (!text) return fragment;
  const list = (entities || []).map((e) => ({ ...e, _text: text.substr(e.offset, e.length) }));
  const cuts = new Set([0, text.length]);
  for (const e of list) { cuts.add(e.offset); cuts.add(Math.min(text.length, e.offset + e.length)); }
  const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i];
    const end = points[i + 1];
    if (end <= start) continue;
    let node = document.createTextNode(text.slice(start, end));
    const covering = list.filter((e) => e.offset <= start && e.offset + e.length >= end);
    covering.sort((a, b) => STYLE_ORDER.indexOf(b.type) - STYLE_ORDER.indexOf(a.type));
    for (const entity of covering) node = wrap(node, entity, text.slice(start, end));
    fragment.append(node);
  }
  return fragment;
}

function timeOf(date) {
  return new Date(date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function dayOf(date) {
  return new Date(date * 1000).toLocaleDateString([], { day: "numeric", month: "long" });
}

function mediaLine(message) {
  const media = message.media || {};
  const line = document.createElement("div");
  line.className = "media-line";
  const icon = document.createElement("span");
  icon.className = "icon";
  const label = document.createElement("span");
  if (media.document) {
    icon.textContent = "📄";
    const link = document.createElement("a");
    link.href = `/_emulator/files/${encodeURIComponent(media.document.file_id)}`;
    link.target = "_blank";
    link.textContent = media.document.file_name || "document";
    const size = document.createElement("div");
    size.className = "meta";
    size.textContent = `${Math.max(1, Math.round((media.document.file_size || 0) / 1024))} KB`;
    label.append(link, size);
  } else if (media.photo) {
    icon.textContent = "🖼"; label.textContent = "Photo";
  } else if (media.voice) {
    icon.textContent = "🎤"; label.textContent = `Voice message 0:0${media.voice.duration || 1}`;
  } else if (media.location) {
    icon.textContent = "📍";
    label.textContent = `Location ${media.location.latitude.toFixed(4)}, ${media.location.longitude.toFixed(4)}`;
  } else {
    icon.textContent = "•"; label.textContent = message.kind;
  }
  line.append(icon, label);
  return line;
}

function renderMessage(message, byId) {
  const li = document.createElement("li");
  li.className = `msg ${message.from_bot ? "in" : "out"}${message.deleted ? " deleted" : ""}`;
  li.dataset.messageId = message.message_id;
  li.dataset.from = message.from_bot ? "bot" : "user";
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  bubble.dir = "auto";
  if (message.kind === "sticker" && !message.deleted) {
    bubble.classList.add("sticker");
    bubble.textContent = (message.media && message.media.sticker && message.media.sticker.emoji) || "🙂";
  } else if (message.deleted) {
    bubble.textContent = "🗑 Message deleted";
  } else {
    if (message.reply_to_message_id && byId.has(message.reply_to_message_id)) {
      const quoted = byId.get(message.reply_to_message_id);
      const quote = document.createElement("span");
      quote.className = "reply-quote";
      quote.textContent = quoted.text || quoted.kind;
      bubble.append(quote);
    }
    if (message.kind !== "text") bubble.append(mediaLine(message));
    const text = document.createElement("span");
    text.className = "text";
    text.dir = "auto";
    text.append(renderText(message.text, message.entities));
    bubble.append(text);
  }
  const meta = document.createElement("span");
  meta.className = "meta-line";
  meta.textContent = `${message.edited ? "edited " : ""}${timeOf(message.date)}${message.from_bot ? "" : " ✓✓"}`;
  bubble.append(meta);
  li.append(bubble);

  const markup = message.reply_markup;
  if (message.from_bot && !message.deleted && markup && markup.inline_keyboard) {
    const kb = document.createElement("div");
    kb.className = "inline-kb";
    for (const row of markup.inline_keyboard) {
      const rowEl = document.createElement("div");
      rowEl.className = "row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.dir = "auto";
        b.textContent = button.text;
        if (button.url) b.classList.add("url");
        b.addEventListener("click", () => pressInline(message, button, b));
        rowEl.append(b);
      }
      kb.append(rowEl);
    }
    li.append(kb);
  }
  if (!message.from_bot && !message.deleted && message.kind === "text") {
    bubble.title = "Click to edit";
    bubble.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      startEdit(message);
    });
  }
  return li;
}

function render(view) {
  const chat = $("chat");
  const nearBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  const firstRender = !app.view;
  app.view = view;
  $("bot-name").textContent = view.bot.first_name;
  $("bot-avatar").textContent = initials(view.bot.first_name);
  const status = $("bot-status");
  const typing = { typing: "typing…", upload_document: "sending a file…", upload_photo: "sending a photo…",
    choose_sticker: "choosing a sticker…", find_location: "choosing a location…" };
  status.textContent = view.action ? (typing[view.action] || view.action + "…") : `@${view.bot.username} · bot`;
  status.classList.toggle("typing", Boolean(view.action));

  const list = $("messages");
  const byId = new Map(view.messages.map((m) => [m.message_id, m]));
  const items = [];
  let lastDay = null;
  for (const message of view.messages) {
    const day = dayOf(message.date);
    if (day !== lastDay) {
      const sep = document.createElement("li");
      sep.className = "day";
      sep.textContent = day;
      items.push(sep);
      lastDay = day;
    }
    items.push(renderMessage(message, byId));
  }
  list.replaceChildren(...items);
  $("empty-chat").hidden = view.messages.length > 0;
  if (view.blocked) $("empty-text").textContent = "You blocked this bot.";

  renderReplyKeyboard(view.reply_keyboard);
  renderCommands(view.commands || []);
  for (const answer of view.callback_answers || []) {
    if (app.seenAnswers.has(answer.callback_query_id)) continue;
    app.seenAnswers.add(answer.callback_query_id);
    if (!firstRender && answer.text) showToast(answer.text, answer.show_alert);
  }
  if (nearBottom || firstRender) chat.scrollTop = chat.scrollHeight;
}

function renderReplyKeyboard(markup) {
  const box = $("reply-keyboard");
  const toggle = $("keyboard-button");
  if (!markup || !markup.keyboard) {
    box.hidden = true;
    toggle.hidden = true;
    box.replaceChildren();
    return;
  }
  const rows = markup.keyboard.map((row) => {
    const rowEl = document.createElement("div");
    rowEl.className = "row";
    for (const button of row) {
      const b = document.createElement("button");
      b.type = "button";
      b.dir = "auto";
      b.textContent = button.text;
      b.addEventListener("click", () => {
        if (button.request_location) sendMedia("location");
        else sendText(button.text);
      });
      rowEl.append(b);
    }
    return rowEl;
  });
  box.replaceChildren(...rows);
  toggle.hidden = false;
  box.hidden = !app.keyboardOpen;
  if (markup.input_field_placeholder) $("composer-input").placeholder = markup.input_field_placeholder;
}

function renderCommands(commands) {
  const menu = $("commands-menu");
  const items = commands.map((c) => {
    const b = document.createElement("button");
    b.type = "button";
    b.setAttribute("role", "menuitem");
    const cmd = document.createElement("span");
    cmd.className = "cmd";
    cmd.textContent = "/" + c.command;
    const desc = document.createElement("span");
    desc.className = "desc";
    desc.dir = "auto";
    desc.textContent = c.description;
    b.append(cmd, desc);
    b.addEventListener("click", () => { menu.hidden = true; sendText("/" + c.command); });
    return b;
  });
  if (!items.length) {
    const none = document.createElement("button");
    none.type = "button";
    none.disabled = true;
    none.textContent = "The bot has no command menu";
    items.push(none);
  }
  menu.replaceChildren(...items);
}

/* ---------- acting ---------- */

async function sendText(text) {
  if (!app.user) { openUsers(true); return; }
  text = text.trim();
  if (!text) return;
  try {
    if (app.editing !== null) {
      await api("POST", "/_emulator/edit", withBot({ chat_id: app.user.chat_id, message_id: app.editing, text }));
      cancelEdit();
    } else {
      await api("POST", "/_emulator/messages", withBot({ chat_id: app.user.chat_id, text }));
    }
  } catch (error) {
    showError(error);
  }
}

async function sendMedia(kind) {
  if (!app.user) return;
  const body = { chat_id: app.user.chat_id, kind };
  if (kind === "document") body.file_name = "cv.txt";
  try {
    await api("POST", "/_emulator/media", withBot(body));
  } catch (error) {
    showError(error);
  }
}

async function pressInline(message, button, element) {
  if (button.url) {
    const start = deepLinkStart(button.url);
    if (start !== null) sendText(`/start ${start}`.trim());
    else window.open(button.url, "_blank", "noopener");
    return;
  }
  if (!("callback_data" in button)) {
    showToast("This kind of button does not work in the sandbox.");
    return;
  }
  element.disabled = true;
  try {
    await api("POST", "/_emulator/press", withBot({
      chat_id: app.user.chat_id, message_id: message.message_id, callback_data: button.callback_data,
    }));
  } catch (error) {
    showError(error);
  } finally {
    setTimeout(() => { element.disabled = false; }, 400);
  }
}

function startEdit(message) {
  app.editing = message.message_id;
  $("edit-banner").hidden = false;
  const input = $("composer-input");
  input.value = message.text || "";
  input.focus();
  autosize();
}

function cancelEdit() {
  app.editing = null;
  $("edit-banner").hidden = true;
}

function autosize() {
  const input = $("composer-input");
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 140) + "px";
}

function submitComposer(event) {
  event.preventDefault();
  const input = $("composer-input");
  const text = input.value;
  input.value = "";
  autosize();
  sendText(text);
}

/* ---------- start ---------- */

async function init() {
  $("users-button").addEventListener("click", () => openUsers($("users-panel").hidden));
  $("new-user-form").addEventListener("submit", createUser);
  $("composer").addEventListener("submit", submitComposer);
  $("composer-input").addEventListener("input", autosize);
  $("composer-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submitComposer(event);
    if (event.key === "Escape") cancelEdit();
  });
  $("cancel-edit").addEventListener("click", () => { cancelEdit(); $("composer-input").value = ""; });
  $("start-button").addEventListener("click", () => sendText("/start"));
  $("commands-button").addEventListener("click", () => {
    $("attach-menu").hidden = true;
    $("commands-menu").hidden = !$("commands-menu").hidden;
  });
  $("attach-button").addEventListener("click", () => {
    $("commands-menu").hidden = true;
    $("attach-menu").hidden = !$("attach-menu").hidden;
  });
  for (const item of $("attach-menu").querySelectorAll("button[data-kind]")) {
    item.addEventListener("click", () => { $("attach-menu").hidden = true; sendMedia(item.dataset.kind); });
  }
  $("keyboard-button").addEventListener("click", () => {
    app.keyboardOpen = !app.keyboardOpen;
    $("reply-keyboard").hidden = !app.keyboardOpen;
  });
  $("messages").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-start]");
    if (link) {
      event.preventDefault();
      sendText(`/start ${link.dataset.start}`.trim());
      return;
    }
    const spoiler = event.target.closest(".spoiler");
    if (spoiler) spoiler.classList.add("shown");
  });

  try {
    const bots = await api("GET", "/_emulator/bots");
    app.bot = bots.find((b) => !BOT || b.username.toLowerCase() === BOT.toLowerCase() ||
      String(b.bot_id) === BOT) || bots[0];
    $("bot-name").textContent = app.bot.first_name;
    $("bot-avatar").textContent = initials(app.bot.first_name);
    $("bot-status").textContent = `@${app.bot.username} · bot`;
    await loadUsers();
  } catch (error) {
    showError(error);
    return;
  }
  const saved = Number(localStorage.getItem(STORE_KEY));
  const user = app.users.find((u) => u.user_id === saved);
  if (user) selectUser(user);
  else openUsers(true);
}

document.addEventListener("DOMContentLoaded", init);
