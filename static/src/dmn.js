// The modeller page for DMN drafts: dmn-js (the decision requirements diagram and decision tables),
// loaded only on DMN pages. Saving, the problem list (Baton's own decision reader) and deploying are
// shared with BPMN drafts (draft-editor.js).

import DmnModeler from 'dmn-js/lib/Modeler';

import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-js-boxed-expression.css';
import 'dmn-js/dist/assets/dmn-js-boxed-expression-controls.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';
import './diagram.css';

import { el } from './http.js';
import { startDraftEditor } from './draft-editor.js';

const INPUT_SETTLE_MS = 400; // let a cell's last keystroke land in the model before saving
const PROBLEM_MARKER = 'baton-problem';
const PROBLEM_CELL = 'baton-problem-cell';
const VIEW_NAMES = {
  drd: 'Decision requirements',
  decisionTable: 'Decision table',
  literalExpression: 'Literal expression',
  boxedExpression: 'Boxed expression',
};

// Every element id under each DRG element (rules, cells, columns): a problem names one of them.
function ownersById(definitions) {
  const owners = new Map();
  const visit = (node, owner) => {
    if (!node || typeof node !== 'object') return;
    if (node.id) owners.set(node.id, owner);
    for (const key of Object.keys(node)) {
      if (key.startsWith('$')) continue;
      const value = node[key];
      if (Array.isArray(value)) value.forEach((child) => child && child.$type && visit(child, owner));
      else if (value && value.$type && key !== 'di') visit(value, owner);
    }
  };
  for (const element of (definitions && definitions.drgElement) || []) visit(element, element);
  return owners;
}

function start() {
  const root = document.getElementById('modeller');
  const dataNode = document.getElementById('modeller-data');
  if (!root || !dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  root.classList.add('modeller--ready');

  const container = document.getElementById('modeller-canvas');
  const viewsNode = document.getElementById('modeller-views');
  const modeler = new DmnModeler({ container, common: { debounceInput: false } });
  window.batonDmnModeler = modeler; // for the browser tests and the curious

  let problems = [];
  let lastInput = 0;
  container.addEventListener('input', () => {
    lastInput = Date.now();
  });

  function renderViews({ views, activeView }) {
    viewsNode.replaceChildren();
    for (const view of views) {
      const title = view.type === 'drd' ? VIEW_NAMES.drd : `${VIEW_NAMES[view.type] || view.type}: ${view.name || view.id}`;
      const button = el('button', 'btn btn-small', title);
      button.type = 'button';
      button.dataset.viewId = view.element.id;
      button.dataset.viewType = view.type;
      if (activeView && activeView.element === view.element) button.setAttribute('aria-current', 'true');
      button.addEventListener('click', () => modeler.open(view));
      viewsNode.append(button);
    }
  }

  function ownerOf(problem) {
    const owners = ownersById(modeler.getDefinitions());
    return owners.get(problem.element_id) || null;
  }

  function viewOf(owner) {
    return modeler.getViews().find((view) => view.element === owner) || null;
  }

  // Marks the problems that belong to what the active view shows: a decision in the DRD, a rule's
  // cells, a cell or a column in a decision table.
  function markActive() {
    const view = modeler.getActiveView();
    if (!view) return;
    for (const node of container.querySelectorAll(`.${PROBLEM_CELL}`)) node.classList.remove(PROBLEM_CELL);
    const viewer = modeler.getActiveViewer();
    for (const problem of problems) {
      const id = problem.element_id;
      if (view.type === 'drd') {
        const registry = viewer.get('elementRegistry');
        const owner = ownerOf(problem);
        const shown = owner && registry.get(owner.id);
        if (shown && !viewer.get('canvas').hasMarker(shown, PROBLEM_MARKER)) {
          viewer.get('canvas').addMarker(shown, PROBLEM_MARKER);
        }
        continue;
      }
      const selector = [`[data-element-id="${CSS.escape(id)}"]`, `td[data-row-id="${CSS.escape(id)}"]`,
        `th[data-col-id="${CSS.escape(id)}"]`].join(',');
      for (const node of container.querySelectorAll(selector)) node.classList.add(PROBLEM_CELL);
    }
  }

  const editor = {
    label: 'DMN',
    suffix: '.dmn',
    async importXML(xml) {
      const result = await modeler.importXML(xml);
      return { warnings: result.warnings || [] };
    },
    async saveXML() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml;
    },
    async settle() {
      if (document.activeElement && container.contains(document.activeElement)) document.activeElement.blur();
      const wait = lastInput + INPUT_SETTLE_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
    onChange(callback) {
      // Each view (DRD, every table) has its own viewer and command stack; all edit one model.
      modeler.on('viewer.created', ({ viewer }) => {
        viewer.get('eventBus').on('commandStack.changed', (event) => {
          if (event.trigger !== 'clear') callback();
        });
      });
    },
    mark(problem, isError) {
      const owner = ownerOf(problem);
      if (!owner) return false;
      if (isError) problems.push(problem);
      markActive();
      return true;
    },
    unmarkAll() {
      problems = [];
      const view = modeler.getActiveView();
      if (view && view.type === 'drd') {
        const viewer = modeler.getActiveViewer();
        const canvas = viewer.get('canvas');
        viewer.get('elementRegistry').forEach((element) => canvas.removeMarker(element, PROBLEM_MARKER));
      }
      for (const node of container.querySelectorAll(`.${PROBLEM_CELL}`)) node.classList.remove(PROBLEM_CELL);
    },
    async reveal(problem) {
      const owner = ownerOf(problem);
      const view = owner && viewOf(owner);
      if (view && modeler.getActiveView() !== view) await modeler.open(view);
      markActive();
      const target = container.querySelector(`.${PROBLEM_CELL}`);
      if (target) target.scrollIntoView({ block: 'center', inline: 'nearest' });
    },
    fit() {
      const view = modeler.getActiveView();
      if (!view || view.type !== 'drd') return;
      const canvas = modeler.getActiveViewer().get('canvas');
      if (canvas.zoom('fit-viewport', 'auto') > 1) canvas.zoom(1, 'auto'); // one decision: no giant box
    },
  };

  modeler.on('views.changed', renderViews);
  modeler.on('import.render.complete', () => setTimeout(markActive, 0));
  startDraftEditor(editor, { root, data });
}

start();
