// The live diagram on an instance page: the deployed model with the instance's state marked on it,
// refreshed every few seconds from /api/v1/instances/<id>/diagram. Clicking an element lists what
// happened to it in this instance; clicking a call activity opens the process it calls (its states in
// this instance, from ?process=<id>), with a breadcrumb back to the caller.

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import './diagram.css';

import { el, getJSON } from './http.js';

const OVERLAY = 'baton-state';
const CALL_OVERLAY = 'baton-call';

function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function start() {
  const root = document.getElementById('live-diagram');
  if (!root) return;
  const baseUrl = root.dataset.url;
  const crumbsNode = document.getElementById('diagram-crumbs');
  const interval = Number(root.dataset.interval || 3000);
  const canvasNode = root.querySelector('.diagram-canvas');
  const historyNode = root.querySelector('.diagram-history');
  const card = root.closest('.diagram-card') || document;
  const statusNode = card.querySelector('.diagram-status') || document.createElement('p');

  const viewer = new NavigatedViewer({ container: canvasNode });
  window.batonViewer = viewer;
  const canvas = viewer.get('canvas');
  const overlays = viewer.get('overlays');
  const registry = viewer.get('elementRegistry');

  let loadedXml = null;
  let marked = [];
  let latest = null;
  let chosen = null;
  let timer = null;
  // The path of processes shown: the instance's own first, then each called one opened from it.
  let path = [{ process: null, name: null }];

  const here = () => path[path.length - 1];
  const url = () => (here().process ? `${baseUrl}?process=${encodeURIComponent(here().process)}` : baseUrl);

  function renderCrumbs() {
    if (!crumbsNode) return;
    crumbsNode.replaceChildren();
    crumbsNode.hidden = path.length < 2;
    path.forEach((step, index) => {
      const name = step.name || step.process || 'This case';
      if (index) crumbsNode.append(el('span', 'muted', '/'));
      if (index === path.length - 1) {
        const current = el('span', 'strong', name);
        current.setAttribute('aria-current', 'page');
        crumbsNode.append(current);
        return;
      }
      const back = el('button', 'btn btn-quiet btn-small', name);
      back.type = 'button';
      back.dataset.depth = String(index);
      back.addEventListener('click', () => go(path.slice(0, index + 1)));
      crumbsNode.append(back);
    });
  }

  function go(newPath) {
    path = newPath;
    loadedXml = null; // the same file may draw another process: always import again
    chosen = null;
    latest = null;
    historyNode.replaceChildren(el('p', 'muted small', 'Click an element to see what happened to it in this case.'));
    renderCrumbs();
    root.dataset.ready = 'false';
    refresh();
  }

  function openCalled(element) {
    const called = element.businessObject && element.businessObject.calledElement;
    if (!called) return;
    go([...path, { process: called, name: null }]);
  }

  function clearMarks() {
    for (const [id, cls] of marked) {
      if (registry.get(id)) canvas.removeMarker(id, cls);
    }
    marked = [];
    overlays.remove({ type: OVERLAY });
    overlays.remove({ type: CALL_OVERLAY });
  }

  // Call activities look and act like links to the process they call.
  function markCalls() {
    registry.filter((element) => element.type === 'bpmn:CallActivity').forEach((element) => {
      if (!element.businessObject.calledElement) return;
      mark(element.id, 'baton-callable');
      const open = el('button', 'baton-open-called', 'Open ›');
      open.type = 'button';
      open.title = `Open the called process ${element.businessObject.calledElement}`;
      open.setAttribute('aria-label', open.title);
      open.addEventListener('click', (event) => {
        event.stopPropagation();
        openCalled(element);
      });
      overlays.add(element.id, CALL_OVERLAY, { position: { top: -12, right: 8 }, html: open });
    });
  }

  function mark(id, cls) {
    if (!registry.get(id)) return;
    canvas.addMarker(id, cls);
    marked.push([id, cls]);
  }

  function badge(id, info) {
    if (!registry.get(id)) return;
    const parts = [];
    if (info.owner) parts.push(info.owner);
    if (info.due_at) parts.push(`due ${when(info.due_at)}`);
    if (info.state === 'waiting' && info.wait) parts.push(info.wait);
    if (info.state === 'failed' && info.message) parts.push(info.message);
    if (!parts.length) return;
    const node = el('div', `baton-badge baton-badge--${info.overdue ? 'overdue' : info.state}`, parts.join(' · '));
    node.title = parts.join(' · ');
    overlays.add(id, OVERLAY, { position: { bottom: -4, left: 0 }, html: node });
  }

  function apply(state) {
    clearMarks();
    markCalls();
    for (const [id, info] of Object.entries(state.elements || {})) {
      mark(id, `baton-${info.state}`);
      if (info.overdue) mark(id, 'baton-overdue');
      if (info.state !== 'completed') badge(id, info);
    }
    for (const flowId of state.flows_taken || []) mark(flowId, 'baton-taken');
    root.dataset.status = state.status;
    root.dataset.revision = String(state.revision);
    root.dataset.process = state.process_id;
    if (!here().name) {
      here().name = state.process_name;
      renderCrumbs();
    }
    const where = path.length > 1 ? `Called process “${state.process_name}” · ` : '';
    statusNode.textContent = state.status === 'running'
      ? `${where}Live · updated ${new Date().toLocaleTimeString()}`
      : `${where}This case is ${state.status}.`;
    if (chosen) showHistory(chosen);
  }

  function showHistory(id) {
    chosen = id;
    const element = registry.get(id);
    const name = (element && element.businessObject && element.businessObject.name) || id;
    const events = ((latest && latest.events) || []).filter((e) => e.element_id === id);
    historyNode.replaceChildren();
    historyNode.append(el('h3', 'diagram-history-title', name));
    const info = latest && latest.elements && latest.elements[id];
    if (info) historyNode.append(el('p', 'small muted', `State: ${info.overdue ? 'overdue' : info.state}`));
    if (!events.length) {
      historyNode.append(el('p', 'muted small', 'Nothing recorded for this element in this case.'));
      return;
    }
    const list = el('ol', 'plain diagram-events');
    for (const event of events) {
      const item = el('li', 'diagram-event');
      item.append(el('span', 'strong', event.title));
      // An element's earlier engine passes come summed up ("37 earlier passes"), from first to last.
      const span = event.until ? `${when(event.at)} – ${when(event.until)}` : when(event.at);
      item.append(el('span', 'muted small', ` · ${event.actor} · ${span}`));
      list.append(item);
    }
    historyNode.append(list);
  }

  async function refresh() {
    if (document.hidden && loadedXml) return schedule();
    try {
      const shownPath = path;
      const { ok, data } = await getJSON(url());
      if (shownPath !== path) return undefined; // the user opened another process meanwhile
      if (!ok) {
        statusNode.textContent = data.message || 'The diagram could not be loaded.';
        return schedule();
      }
      latest = data;
      if (data.xml !== loadedXml) {
        await viewer.importXML(data.xml, data.diagram_id || undefined);
        loadedXml = data.xml;
        canvas.zoom('fit-viewport', 'auto');
        marked = [];
      }
      apply(data);
      root.dataset.ready = 'true';
      if (data.status !== 'running') return; // finished cases do not change any more
    } catch (err) {
      statusNode.textContent = `The diagram could not be loaded: ${err.message || err}`;
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, interval);
  }

  viewer.on('element.click', (event) => {
    const id = event.element && event.element.id;
    if (!id || event.element.type === 'bpmn:Process' || event.element.type === 'bpmn:Collaboration') return;
    if (event.element.type === 'bpmn:CallActivity' && event.element.businessObject.calledElement) {
      openCalled(event.element);
      return;
    }
    showHistory(id);
  });
  root.querySelector('.diagram-fallback')?.remove();
  refresh();
}

start();
