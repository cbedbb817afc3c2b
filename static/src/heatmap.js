// The heatmap on a process version page: the deployed diagram with each element coloured by a
// figure over many instances (90th percentile or median time, passes, active now), a badge with
// its numbers under it, and flows drawn thicker the more often they were taken. The figures come
// embedded in the page (#heatmap-data, the same JSON as /api/v1/processes/<id>/versions/<n>/heatmap);
// the page's tables say the same in text.

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';

import { el } from './http.js';

const OVERLAY = 'baton-heat';
const STEPS = 5; // colour steps: heat-0 (lowest) .. heat-4 (highest); heat-none: no figure
const FLOW_STEPS = 3;
const MEASURES = {
  p90_s: { label: '90th percentile time', time: true },
  median_s: { label: 'median time', time: true },
  count: { label: 'passes', time: false },
  active: { label: 'active now', time: false },
};

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 1) return seconds === 0 ? '0 s' : '< 1 s';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  let minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  let hours = Math.floor(minutes / 60);
  minutes %= 60;
  if (hours < 24) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  hours %= 24;
  return hours ? `${days} d ${hours} h` : `${days} d`;
}

function shown(measure, value) {
  if (value === null || value === undefined) return '—';
  return MEASURES[measure].time ? duration(value) : String(value);
}

// The colour step of a value on a linear scale from 0 to the largest value.
function step(value, max) {
  if (!max) return 0;
  return Math.min(STEPS - 1, Math.floor((value / max) * STEPS));
}

function start() {
  const root = document.getElementById('heatmap');
  const dataNode = document.getElementById('heatmap-data');
  if (!root || !dataNode) return;
  const figures = JSON.parse(dataNode.textContent);
  const canvasNode = root.querySelector('.heatmap-canvas');
  const select = document.getElementById('heatmap-measure');
  const statusNode = document.querySelector('.heatmap-status') || document.createElement('p');

  const viewer = new NavigatedViewer({ container: canvasNode });
  window.batonHeatmap = viewer;
  const canvas = viewer.get('canvas');
  const overlays = viewer.get('overlays');
  const registry = viewer.get('elementRegistry');
  const byId = new Map(figures.elements.map((e) => [e.id, e]));
  let marked = [];

  function mark(id, cls) {
    canvas.addMarker(id, cls);
    marked.push([id, cls]);
  }

  function clear() {
    for (const [id, cls] of marked) canvas.removeMarker(id, cls);
    marked = [];
  }

  function badges() {
    overlays.remove({ type: OVERLAY });
    for (const e of figures.elements) {
      if (!registry.get(e.id)) continue;
      const parts = [`${e.count}×`];
      if (e.p90_s) parts.push(duration(e.median_s), `p90 ${duration(e.p90_s)}`); // not for instant ones
      if (e.active) parts.push(`${e.active} now`);
      const text = parts.join(' · ');
      const node = el('div', `baton-heat-badge${e.active ? ' baton-heat-badge--active' : ''}`, text);
      node.title = `${e.name}: ${e.count} passes, median ${duration(e.median_s)}, 90th percentile ${duration(e.p90_s)}, ${e.active} active now`;
      node.dataset.elementId = e.id;
      // Events and gateways carry their name below them: their badge goes above instead.
      const shape = registry.get(e.id);
      const small = /Event|Gateway/.test(shape.type);
      overlays.add(e.id, OVERLAY, { position: small ? { top: -22, left: -8 } : { bottom: -6, left: 0 }, html: node });
    }
  }

  function flows() {
    const max = Math.max(0, ...figures.flows.map((f) => f.count));
    for (const f of figures.flows) {
      if (!registry.get(f.id) || !f.count) continue;
      mark(f.id, `heat-flow-${Math.min(FLOW_STEPS, 1 + Math.floor(((f.count - 1) / Math.max(1, max)) * FLOW_STEPS))}`);
    }
  }

  function legend(measure, max) {
    const low = root.querySelector('[data-end="low"]');
    const high = root.querySelector('[data-end="high"]');
    const scale = root.querySelector('.heatmap-scale');
    low.textContent = shown(measure, 0);
    high.textContent = shown(measure, max);
    scale.replaceChildren();
    for (let i = 0; i < STEPS; i += 1) {
      const from = (max * i) / STEPS;
      const to = (max * (i + 1)) / STEPS;
      const swatch = el('span', `heatmap-step heat-swatch-${i}`);
      swatch.title = `${shown(measure, from)} to ${shown(measure, to)}`;
      scale.append(swatch);
    }
  }

  function paint(measure) {
    clear();
    const values = figures.elements.map((e) => e[measure]).filter((v) => v !== null && v !== undefined);
    const max = Math.max(0, ...values);
    let coloured = 0;
    registry.forEach((element) => {
      if (element.type === 'label' || element.waypoints || !element.businessObject) return;
      if (element.type === 'bpmn:Process' || element.type === 'bpmn:Collaboration'
          || element.type === 'bpmn:Participant' || element.type === 'bpmn:Lane') return;
      const e = byId.get(element.id);
      const value = e ? e[measure] : null;
      const reached = e && (e.count || e.active);
      if (!reached || value === null || value === undefined) {
        mark(element.id, 'heat-none');
        return;
      }
      mark(element.id, `heat-${step(value, max)}`);
      coloured += 1;
    });
    flows();
    legend(measure, max);
    root.dataset.measure = measure;
    statusNode.textContent = `Coloured by ${MEASURES[measure].label}: ${coloured} element${coloured === 1 ? '' : 's'} over ${figures.instances} instance${figures.instances === 1 ? '' : 's'}.`;
  }

  async function show() {
    try {
      await viewer.importXML(figures.xml);
      canvas.zoom('fit-viewport', 'auto');
      root.querySelector('.diagram-fallback')?.remove();
      badges();
      paint(select ? select.value : 'p90_s');
      root.dataset.ready = 'true';
    } catch (err) {
      statusNode.textContent = `The diagram could not be drawn: ${err.message || err}. The tables below list every figure.`;
    }
  }

  if (select) select.addEventListener('change', () => paint(select.value));
  let resizing = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => canvas.zoom('fit-viewport', 'auto'), 150);
  });
  show();
}

start();
