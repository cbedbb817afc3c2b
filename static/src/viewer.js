// The live diagram on an instance page: the deployed model with the instance's state marked on it,
// refreshed every few seconds from /api/v1/instances/<id>/diagram. Clicking an element lists what
// happened to it in this instance.

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import './diagram.css';

import { el, getJSON } from './http.js';

const OVERLAY = 'baton-state';

function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function start() {
  const root = document.getElementById('live-diagram');
  if (!root) return;
  const url = root.dataset.url;
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

  function clearMarks() {
    for (const [id, cls] of marked) {
      if (registry.get(id)) canvas.removeMarker(id, cls);
    }
    marked = [];
    overlays.remove({ type: OVERLAY });
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
    for (const [id, info] of Object.entries(state.elements || {})) {
      mark(id, `baton-${info.state}`);
      if (info.overdue) mark(id, 'baton-overdue');
      if (info.state !== 'completed') badge(id, info);
    }
    for (const flowId of state.flows_taken || []) mark(flowId, 'baton-taken');
    root.dataset.status = state.status;
    root.dataset.revision = String(state.revision);
    statusNode.textContent = state.status === 'running'
      ? `Live · updated ${new Date().toLocaleTimeString()}`
      : `This case is ${state.status}.`;
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
      item.append(el('span', 'muted small', ` · ${event.actor} · ${when(event.at)}`));
      list.append(item);
    }
    historyNode.append(list);
  }

  async function refresh() {
    if (document.hidden && loadedXml) return schedule();
    try {
      const { ok, data } = await getJSON(url);
      if (!ok) {
        statusNode.textContent = data.message || 'The diagram could not be loaded.';
        return schedule();
      }
      latest = data;
      if (data.xml !== loadedXml) {
        await viewer.importXML(data.xml);
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
    showHistory(id);
  });
  root.querySelector('.diagram-fallback')?.remove();
  refresh();
}

start();
