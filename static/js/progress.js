// The progress view of an instance, kept live: poll /api/v1/instances/<id>/progress and redraw the
// section with the same markup templates/_progress.html renders (text only, never HTML).
(function () {
  'use strict';
  var section = document.getElementById('progress');
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute('data-url');
  var interval = parseInt(section.getAttribute('data-interval'), 10) || 3000;
  var body = section.querySelector('.progress-body');
  var lastText = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function at(value) {
    // "2026-11-25T18:46:06Z" -> "2026-11-25 18:46 UTC", as the page's `at` filter writes it.
    if (!value) { return ''; }
    return value.slice(0, 10) + ' ' + value.slice(11, 16) + ' UTC';
  }

  function words(value) { return String(value || '').split('_').join(' '); }

  function heading(text) { return el('h3', 'progress-h', text); }

  function current(p) {
    var part = el('div'); part.setAttribute('data-part', 'current');
    part.appendChild(heading('Current steps'));
    if (!p.current.length) { part.appendChild(el('p', 'muted small', 'No step waits on a person.')); return part; }
    var list = el('ul', 'plain tasklist');
    p.current.forEach(function (c) {
      var li = el('li', 'tasklist-item progress-step');
      var head = el('div'); head.appendChild(el('span', 'strong', c.name));
      if (c.sla_state) {
        head.appendChild(document.createTextNode(' '));
        head.appendChild(el('span', 'chip chip--' + c.sla_state, words(c.sla_state)));
      }
      li.appendChild(head);
      var owner = el('div', 'small', 'Owner: ' + c.owner.name + ' ');
      var kind = c.owner.kind;
      if (kind === 'group') {
        var names = c.owner.members.map(function (m) { return m.name; }).join(', ');
        kind += ': ' + (names || 'no members');
      }
      owner.appendChild(el('span', 'muted', '(' + kind + ')'));
      li.appendChild(owner);
      li.appendChild(el('div', 'small muted', 'Since ' + at(c.since) + (c.due_at ? ' · due ' + at(c.due_at) : '')));
      if (c.delegation) {
        li.appendChild(el('div', 'small', 'Delegated by ' + c.delegation.owner + ' (' + c.delegation.state + ')'));
      }
      c.deadlines.forEach(function (d) {
        li.appendChild(el('div', 'small', 'Deadline: ' + d.name + ' at ' + at(d.at) + (d.interrupting ? ' (interrupts the step)' : '')));
      });
      if (c.required_inputs.length) {
        li.appendChild(el('div', 'small', 'Still needed: ' + c.required_inputs.map(function (i) { return i.label; }).join(', ')));
      }
      list.appendChild(li);
    });
    part.appendChild(list);
    return part;
  }

  function blockers(p) {
    var part = el('div'); part.setAttribute('data-part', 'blockers');
    part.appendChild(heading('Waiting on'));
    if (!p.blockers.length) { part.appendChild(el('p', 'muted small', 'Nothing.')); return part; }
    var list = el('ul', 'plain tasklist');
    p.blockers.forEach(function (b) {
      var li = el('li', 'tasklist-item');
      li.appendChild(el('span', 'chip', b.kind));
      li.appendChild(document.createTextNode(' ' + b.description));
      li.appendChild(el('span', 'muted small', (b.since ? ' · since ' + at(b.since) : '') + (b.until ? ' · until ' + at(b.until) : '')));
      list.appendChild(li);
    });
    part.appendChild(list);
    return part;
  }

  function ahead(p) {
    var part = el('div'); part.setAttribute('data-part', 'ahead');
    part.appendChild(heading('The road ahead'));
    if (!p.ahead.length) { part.appendChild(el('p', 'muted small', 'No more steps.')); return part; }
    var list = el('ol', 'plain ahead');
    p.ahead.forEach(function (s) {
      var li = el('li', 'ahead-step ahead-step--' + (s.likely ? 'likely' : 'alternative'), s.name);
      if (s.lane) {
        li.appendChild(document.createTextNode(' '));
        li.appendChild(el('span', 'muted small', '(' + s.lane + ')'));
      }
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'small muted', s.likely ? 'likely' : 'alternative'));
      list.appendChild(li);
    });
    part.appendChild(list);
    return part;
  }

  function timeline(p, open) {
    var part = el('details', 'progress-timeline'); part.setAttribute('data-part', 'timeline');
    part.open = open;
    part.appendChild(el('summary', 'small', 'Timeline (' + p.timeline.length + ')'));
    var list = el('ol', 'plain small');
    p.timeline.forEach(function (t) {
      var what = t.name || t.element_id;
      var item = el('li', null, at(t.at) + ' · ' + words(t.kind) + (what ? ' “' + what + '”' : '') + ' · ' + t.actor);
      if (t.erased) { item.appendChild(el('span', 'muted', ' · ' + t.erased)); }
      list.appendChild(item);
    });
    part.appendChild(list);
    return part;
  }

  function render(p) {
    var text = JSON.stringify(p);
    if (text === lastText) { return; }
    lastText = text;
    var wasOpen = !!(body.querySelector('details[data-part="timeline"]') || {}).open;
    var next = el('p', 'progress-next'); next.setAttribute('data-part', 'next');
    next.appendChild(el('strong', null, 'Next:'));
    next.appendChild(document.createTextNode(' '));
    next.appendChild(el('span', 'progress-next-text', p.next_action.text));
    var grid = el('div', 'progress-grid');
    grid.appendChild(current(p)); grid.appendChild(blockers(p)); grid.appendChild(ahead(p));
    body.replaceChildren(next, grid, timeline(p, wasOpen));
    var status = section.querySelector('[data-part="status"]');
    if (status) { status.textContent = p.status; }
    section.setAttribute('data-revision', String(p.revision));
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) { if (p) { render(p); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
}());
