// The unspin page. Every piece of user or server text reaches the DOM through textContent or text nodes,
// never through innerHTML, so pasted markup is shown, not run.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_BYTES = 2 * 1000 * 1000;

  const state = {
    text: "",          // exactly the text the service saw (offsets point into it)
    result: null,      // the /v1/restore JSON, as received
    trace: null,       // the /v1/trace JSON, when an index is loaded
    choice: [],        // per change: the word shown in the restored view (the service's pick unless chosen)
    u16: null,         // code point offset -> UTF-16 offset, when the text has astral characters
    index: false,      // the service has a source index
    open: -1,          // change whose popover is open
    pinned: false,
    opener: null,
  };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setStatus(msg, isError) {
    const s = $("status");
    s.textContent = msg;
    s.classList.toggle("error", Boolean(isError));
  }

  function level(conf) {
    return conf >= 0.9 ? "c-high" : conf >= 0.7 ? "c-mid" : "c-low";
  }

  function pct(x) {
    return Math.round(100 * x) + " %";
  }

  // Python offsets count code points; JavaScript strings count UTF-16 units.
  function buildOffsets(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return null;
    const map = [];
    let u = 0;
    for (const ch of text) {
      map.push(u);
      u += ch.length;
    }
    map.push(u);
    return map;
  }
  const off = (i) => (state.u16 ? state.u16[i] : i);

  // --- talking to the service -----------------------------------------------------------------------

  async function post(task, body) {
    const resp = await fetch("/v1/" + task, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      data = null;
    }
    if (!resp.ok) {
      const reason = data && data.error ? data.error : "HTTP " + resp.status;
      const retry = resp.headers.get("Retry-After");
      throw new Error(retry ? reason + " (retry in " + retry + " s)" : reason);
    }
    return data;
  }

  async function run() {
    let text = $("input").value;
    if (!text.trim()) {
      setStatus("Paste some text first.", true);
      $("input").focus();
      return;
    }
    if (new Blob([text]).size > MAX_BYTES) {
      setStatus("The text is over 2 MB; split it into parts.", true);
      return;
    }
    const button = $("run");
    button.disabled = true;
    const t0 = performance.now();
    try {
      if ($("is-html").checked) {
        setStatus("Extracting the article from the HTML…");
        const cleaned = await post("clean", { text: text, html: true });
        if (!cleaned.text.trim()) throw new Error("No article text found in the HTML.");
        text = cleaned.text;
        $("input").value = text;
        $("is-html").checked = false;
      }
      setStatus("Restoring…");
      const result = await post("restore", { text: text });
      let trace = null;
      if (state.index) {
        setStatus("Looking for the source…");
        try {
          trace = await post("trace", { text: text, top: 3 });
        } catch (e) {
          trace = { error: e.message };
        }
      }
      show(text, result, trace);
      const n = result.changes.length;
      const ms = performance.now() - t0;
      setStatus("Done in " + (ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s") + ": " + n +
                (n === 1 ? " change." : " changes."));
    } catch (e) {
      setStatus(e.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // --- rendering ------------------------------------------------------------------------------------

  function changeButton(i, cls, label) {
    const c = state.result.changes[i];
    const b = el("button", "chg " + level(c.confidence) + (cls ? " " + cls : ""));
    b.type = "button";
    b.dataset.i = String(i);
    b.setAttribute("aria-haspopup", "dialog");
    b.setAttribute("aria-expanded", "false");
    b.setAttribute("aria-label", label);
    return b;
  }

  // Builds one view of the document: untouched text as text nodes, each change by `piece`.
  function renderDoc(target, piece) {
    const frag = document.createDocumentFragment();
    const text = state.text;
    let pos = 0;
    state.result.changes.forEach((c, i) => {
      const s = off(c.start), e = off(c.end);
      if (s > pos) frag.appendChild(document.createTextNode(text.slice(pos, s)));
      frag.appendChild(piece(c, i, text.slice(s, e)));
      pos = e;
    });
    if (pos < text.length) frag.appendChild(document.createTextNode(text.slice(pos)));
    target.replaceChildren(frag);
  }

  function renderSpun() {
    renderDoc($("doc-spun"), (c, i, spun) => {
      const b = changeButton(i, "", spun + ": probably " + state.choice[i] + ", " + pct(c.confidence) + " sure");
      b.textContent = spun;
      return b;
    });
  }

  function renderRestored() {
    renderDoc($("doc-restored"), (c, i, spun) => {
      const kept = state.choice[i] === spun;
      const b = changeButton(i, kept ? "kept" : "", state.choice[i] + ": was " + spun + ", " +
                             pct(c.confidence) + " sure");
      b.textContent = state.choice[i];
      return b;
    });
  }

  function renderDiff() {
    renderDoc($("doc-diff"), (c, i, spun) => {
      const b = changeButton(i, "diff", "changed " + spun + " to " + state.choice[i]);
      b.appendChild(el("del", "", spun));
      if (state.choice[i] !== spun) b.appendChild(el("ins", "", state.choice[i]));
      return b;
    });
  }

  function renderList() {
    const ol = $("changes");
    const frag = document.createDocumentFragment();
    state.result.changes.forEach((c, i) => {
      const li = el("li");
      const b = changeButton(i, "list", "");
      b.removeAttribute("aria-label");
      b.appendChild(el("span", "from", c.spun));
      b.appendChild(document.createTextNode(" → "));
      b.appendChild(el("span", "to", state.choice[i]));
      li.appendChild(b);
      li.appendChild(el("span", "meta", " " + pct(c.confidence) +
                        (c.alternatives.length ? " · also: " + c.alternatives.join(", ") : "")));
      frag.appendChild(li);
    });
    ol.replaceChildren(frag);
    $("change-list-title").textContent = "All " + state.result.changes.length + " changes";
  }

  function renderAll() {
    renderSpun();
    renderRestored();
    renderDiff();
    renderList();
  }

  function show(text, result, trace) {
    performance.mark("unspin-render-start");
    closePop(false);
    state.text = text;
    state.result = result;
    state.trace = trace;
    state.u16 = buildOffsets(text);
    state.choice = result.changes.map((c) => c.original);
    const score = result.spin_score;
    $("score-value").textContent = pct(score);
    $("verdict").textContent = score >= 0.5 ? "likely spun" : "likely not spun";
    $("verdict").className = "verdict " + (score >= 0.5 ? "spun" : "clean");
    $("meter").setAttribute("aria-valuenow", String(Math.round(100 * score)));
    $("meter").setAttribute("aria-valuetext", pct(score) + ", " + $("verdict").textContent);
    $("meter-bar").style.width = (100 * score).toFixed(1) + "%";
    const words = (text.match(/\S+/g) || []).length;
    const n = result.changes.length;
    $("counts").textContent = n + (n === 1 ? " change" : " changes") + " in " + words + " words";
    showSource(trace);
    renderAll();
    const box = $("results");
    box.hidden = false;
    box.focus({ preventScroll: true });
    performance.measure("unspin-render", "unspin-render-start");
    // The first frame after the DOM is built: layout and paint included.
    requestAnimationFrame(() => setTimeout(() => performance.measure("unspin-paint", "unspin-render-start"), 0));
  }

  function showSource(trace) {
    const p = $("source");
    if (!trace) {
      p.hidden = true;
      return;
    }
    p.hidden = false;
    p.replaceChildren();
    if (trace.error) {
      p.textContent = "Source search failed: " + trace.error;
      return;
    }
    const m = trace.matches && trace.matches[0];
    if (!m) {
      p.textContent = "No likely source in the index.";
      return;
    }
    p.appendChild(document.createTextNode("Likely source: "));
    p.appendChild(el("strong", "", m.id));
    p.appendChild(document.createTextNode(" (score " + m.score.toFixed(2) + ", " + pct(m.aligned) + " aligned)"));
  }

  // --- the popover with a change's alternatives --------------------------------------------------------

  function openPop(i, anchor, pinned) {
    const c = state.result.changes[i];
    const pop = $("pop");
    if (state.opener && state.opener !== anchor) state.opener.setAttribute("aria-expanded", "false");
    state.open = i;
    state.pinned = pinned;
    state.opener = anchor;
    anchor.setAttribute("aria-expanded", "true");
    $("pop-title").replaceChildren(el("span", "from", c.spun), document.createTextNode(" → "),
                                   el("strong", "to", c.original));
    $("pop-conf").textContent = "Confidence " + pct(c.confidence) + " (" +
      ({ "c-high": "sure", "c-mid": "likely", "c-low": "possible" })[level(c.confidence)] + ")";
    const options = [c.original].concat(c.alternatives.filter((a) => a !== c.original));
    if (!options.includes(c.spun)) options.push(c.spun);
    const list = $("pop-choices");
    list.replaceChildren();
    for (const word of options) {
      const li = el("li");
      const b = el("button", "choice", word);
      b.type = "button";
      if (word === c.spun) b.appendChild(el("span", "note", " (keep as written)"));
      else if (word === c.original) b.appendChild(el("span", "note", " (unspin's pick)"));
      b.setAttribute("aria-pressed", String(state.choice[i] === word));
      b.addEventListener("click", () => choose(i, word));
      li.appendChild(b);
      list.appendChild(li);
    }
    pop.hidden = false;
    place(pop, anchor);
    if (pinned) {
      const first = list.querySelector("button[aria-pressed=true]") || list.querySelector("button");
      if (first) first.focus();
    }
  }

  function place(pop, anchor) {
    const r = anchor.getBoundingClientRect();
    const w = Math.min(pop.offsetWidth, window.innerWidth - 16);
    let left = r.left + window.scrollX;
    left = Math.max(8 + window.scrollX, Math.min(left, window.scrollX + window.innerWidth - w - 8));
    let top = r.bottom + window.scrollY + 6;
    if (r.bottom + pop.offsetHeight + 12 > window.innerHeight && r.top > pop.offsetHeight + 12) {
      top = r.top + window.scrollY - pop.offsetHeight - 6;
    }
    pop.style.left = left + "px";
    pop.style.top = top + "px";
  }

  function closePop(restoreFocus) {
    const pop = $("pop");
    if (pop.hidden) return;
    pop.hidden = true;
    const opener = state.opener;
    if (opener) opener.setAttribute("aria-expanded", "false");
    state.open = -1;
    state.pinned = false;
    state.opener = null;
    if (restoreFocus && opener && document.contains(opener)) opener.focus();
  }

  function choose(i, word) {
    state.choice[i] = word;
    const pane = state.opener ? state.opener.closest(".doc, ol") : null;
    const paneId = pane ? pane.id : "";
    closePop(false);
    renderRestored();
    renderDiff();
    renderList();
    renderSpun();
    const again = paneId && document.querySelector("#" + paneId + ' [data-i="' + i + '"]');
    if (again) again.focus();
    setStatus("Using “" + word + "” for “" + state.result.changes[i].spun + "”.");
  }

  let hoverTimer = 0;
  function onOver(ev) {
    const b = ev.target.closest && ev.target.closest("button.chg");
    if (!b || state.pinned) return;
    clearTimeout(hoverTimer);
    hoverTimer = setTimeout(() => openPop(Number(b.dataset.i), b, false), 120);
  }
  function onOut(ev) {
    const b = ev.target.closest && ev.target.closest("button.chg");
    if (!b) return;
    clearTimeout(hoverTimer);
    const to = ev.relatedTarget;
    if (!state.pinned && !(to && $("pop").contains(to))) {
      hoverTimer = setTimeout(() => {
        if (!state.pinned && !$("pop").matches(":hover")) closePop(false);
      }, 200);
    }
  }
  function onClick(ev) {
    const b = ev.target.closest && ev.target.closest("button.chg");
    if (!b) return;
    clearTimeout(hoverTimer);
    const i = Number(b.dataset.i);
    if (state.open === i && state.pinned && state.opener === b) closePop(true);
    else openPop(i, b, true);
  }

  // --- files, drag and drop ----------------------------------------------------------------------------

  async function loadFile(file) {
    if (!file) return;
    if (file.size > MAX_BYTES) {
      setStatus(file.name + " is over 2 MB.", true);
      return;
    }
    const text = await file.text();
    const isHtml = /\.html?$/i.test(file.name) || file.type === "text/html";
    $("input").value = text;
    $("is-html").checked = isHtml;
    setStatus("Loaded " + file.name + (isHtml ? " (HTML: the article is extracted first)." : "."));
    run();
  }

  function setupDrop() {
    const drop = $("drop");
    let depth = 0;
    document.addEventListener("dragenter", (e) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files")) {
        depth++;
        drop.classList.add("over");
      }
    });
    document.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) drop.classList.remove("over");
    });
    document.addEventListener("dragover", (e) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files")) e.preventDefault();
    });
    document.addEventListener("drop", (e) => {
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      depth = 0;
      drop.classList.remove("over");
      loadFile(e.dataTransfer.files[0]);
    });
  }

  function download() {
    if (!state.result) return;
    const blob = new Blob([JSON.stringify(state.result, null, 2) + "\n"], { type: "application/json" });
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = "unspin-restore.json";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  function setView(v) {
    $("panes").dataset.view = v;
    closePop(false);
  }

  async function init() {
    $("form").addEventListener("submit", (e) => {
      e.preventDefault();
      run();
    });
    $("input").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        run();
      }
    });
    $("file").addEventListener("change", (e) => loadFile(e.target.files[0]));
    $("example").addEventListener("click", async () => {
      const resp = await fetch("/example.txt");
      $("input").value = await resp.text();
      $("is-html").checked = false;
      run();
    });
    $("download").addEventListener("click", download);
    for (const r of document.querySelectorAll("input[name=view]")) {
      r.addEventListener("change", () => setView(r.value));
    }
    const results = $("results");
    results.addEventListener("mouseover", onOver);
    results.addEventListener("mouseout", onOut);
    results.addEventListener("click", onClick);
    const pop = $("pop");
    pop.addEventListener("mouseleave", () => {
      if (!state.pinned) closePop(false);
    });
    $("pop-close").addEventListener("click", () => closePop(true));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !$("pop").hidden) {
        e.preventDefault();
        closePop(true);
      }
    });
    document.addEventListener("click", (e) => {
      if (!state.pinned) return;
      if (pop.contains(e.target) || (e.target.closest && e.target.closest("button.chg"))) return;
      closePop(false);
    });
    window.addEventListener("resize", () => closePop(false));
    setupDrop();
    try {
      const v = await (await fetch("/v1/version")).json();
      state.index = Boolean(v.index);
    } catch (e) {
      state.index = false;
    }
  }

  init();
})();
