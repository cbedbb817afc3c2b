// The modeller page: bpmn-js with the Camunda 7 properties panel and bpmnlint; drafts are saved on
// the server, which checks them with Baton's own parser and lists every problem; deploy from here.

import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import lintModule from 'bpmn-js-bpmnlint';
import lintConfig from 'baton-bpmnlint-config';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import './diagram.css';

import { el, postJSON } from './http.js';

const PANEL_DEBOUNCE_MS = 400; // the properties panel applies typed values after ~300 ms
const PROBLEM_MARKER = 'baton-problem';

function start() {
  const root = document.getElementById('modeller');
  const dataNode = document.getElementById('modeller-data');
  if (!root || !dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  root.classList.add('modeller--ready');

  const modeler = new BpmnModeler({
    container: '#modeller-canvas',
    propertiesPanel: { parent: '#modeller-properties' },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule,
      lintModule,
    ],
    moddleExtensions: { camunda: camundaModdle },
    linting: { bpmnlint: lintConfig, active: true },
    keyboard: { bindTo: document },
  });
  window.batonModeler = modeler; // for the browser tests and the curious

  const status = document.getElementById('modeller-status');
  const problemsBox = document.getElementById('modeller-problems');
  const deployButton = document.getElementById('modeller-deploy');
  const saveButton = document.getElementById('modeller-save');
  const importInput = document.getElementById('modeller-import');
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');

  let changes = 0; // commands since the page loaded
  let savedAt = data.unsaved ? -1 : 0; // `changes` when the server last saved the canvas
  let lastProblems = data.problems || [];
  let marked = [];
  let lastPanelInput = 0;
  let busy = false;

  const dirty = () => changes !== savedAt;

  function say(text, tone) {
    status.textContent = text;
    status.dataset.tone = tone || 'info';
  }

  function refreshButtons() {
    deployButton.disabled = busy || dirty() || lastProblems.length > 0;
    deployButton.title = dirty()
      ? 'Save the draft first'
      : lastProblems.length ? 'Fix the problems first' : 'Deploy the saved draft as a new version';
    saveButton.disabled = busy;
    root.dataset.dirty = dirty() ? 'true' : 'false';
  }

  function selectElement(id) {
    const element = registry.get(id);
    if (!element) return;
    modeler.get('selection').select(element);
    canvas.scrollToElement(element);
  }

  function showProblems(problems, warnings) {
    marked.forEach((id) => registry.get(id) && canvas.removeMarker(id, PROBLEM_MARKER));
    marked = [];
    problemsBox.replaceChildren();
    problemsBox.hidden = !(problems.length || (warnings && warnings.length));
    if (problemsBox.hidden) return;
    const heading = el('h2', 'card-title', problems.length
      ? `${problems.length} problem${problems.length === 1 ? '' : 's'} to fix before deploying`
      : 'Warnings (the model can still be deployed)');
    problemsBox.append(heading);
    const list = el('ul', 'plain problem-list');
    const rows = [
      ...problems.map((p) => ({ ...p, severity: 'error' })),
      ...(warnings || []).map((p) => ({ ...p, severity: 'warning' })),
    ];
    for (const problem of rows) {
      const item = el('li', `problem-item problem-item--${problem.severity}`);
      const known = problem.element_id && registry.get(problem.element_id);
      const label = problem.element_id ? `${problem.element_id}: ` : '';
      const where = problem.line ? ` (line ${problem.line})` : '';
      if (known) {
        const button = el('button', 'btn btn-quiet btn-small problem-link', `${label}${problem.message}${where}`);
        button.type = 'button';
        button.dataset.elementId = problem.element_id;
        button.addEventListener('click', () => selectElement(problem.element_id));
        item.append(button);
        if (problem.severity === 'error') {
          canvas.addMarker(problem.element_id, PROBLEM_MARKER);
          marked.push(problem.element_id);
        }
      } else {
        item.append(el('span', 'problem-text', `${label}${problem.message}${where}`));
      }
      list.append(item);
    }
    problemsBox.append(list);
  }

  async function settlePanel() {
    if (document.activeElement && document.activeElement.closest('#modeller-properties')) {
      document.activeElement.blur();
    }
    const wait = lastPanelInput + PANEL_DEBOUNCE_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  async function save() {
    if (busy) return;
    busy = true;
    refreshButtons();
    say('Saving…');
    try {
      await settlePanel();
      const at = changes;
      const { xml } = await modeler.saveXML({ format: true });
      const { ok, data: body } = await postJSON(data.saveUrl, { xml });
      if (!ok) {
        say(body.message || 'The draft was not saved.', 'error');
        return;
      }
      savedAt = at;
      lastProblems = body.problems || [];
      showProblems(lastProblems, body.warnings || []);
      if (body.name) document.getElementById('modeller-name').textContent = body.name;
      const processNode = document.getElementById('modeller-process');
      if (processNode && body.process_id) {
        processNode.textContent = body.process_id;
        processNode.hidden = false;
      }
      say(lastProblems.length
        ? `Draft saved, with ${lastProblems.length} problem${lastProblems.length === 1 ? '' : 's'} to fix before deploying.`
        : 'Draft saved. No problems: it can be deployed.', lastProblems.length ? 'warning' : 'success');
    } catch (err) {
      say(`The draft was not saved: ${err.message || err}`, 'error');
    } finally {
      busy = false;
      refreshButtons();
    }
  }

  async function deploy() {
    if (busy || dirty()) return;
    busy = true;
    refreshButtons();
    say('Deploying…');
    try {
      const { ok, data: body } = await postJSON(data.deployUrl, {});
      if (!ok) {
        lastProblems = body.problems || [];
        showProblems(lastProblems, []);
        say(body.message || 'Nothing was deployed.', 'error');
        return;
      }
      const names = (body.processes || []).map((p) => `${p.name} (version ${p.version})`).join(', ');
      say(body.unchanged ? `Already deployed: ${names}.` : `Deployed ${names}.`, 'success');
      const link = el('a', 'modeller-deployed', 'See the deployment');
      link.href = body.url;
      status.append(' ', link);
    } catch (err) {
      say(`Nothing was deployed: ${err.message || err}`, 'error');
    } finally {
      busy = false;
      refreshButtons();
    }
  }

  function download(content, type, suffix) {
    const blob = new Blob([content], { type });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${data.fileStem}${suffix}`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  async function load(xml, { fresh }) {
    try {
      const { warnings } = await modeler.importXML(xml);
      canvas.zoom('fit-viewport', 'auto');
      if (fresh) {
        changes += 1; // a replaced canvas is an unsaved change
      }
      if (warnings.length) say(`Opened with ${warnings.length} import warning(s).`, 'warning');
      showProblems(lastProblems, []);
      refreshButtons();
      return true;
    } catch (err) {
      say(`This file cannot be opened as BPMN: ${err.message || err}`, 'error');
      return false;
    }
  }

  modeler.on('commandStack.changed', (event) => {
    if (event.trigger === 'clear') return; // a new diagram was imported: load() counts that
    changes += 1;
    refreshButtons();
  });
  document.getElementById('modeller-properties').addEventListener('input', () => {
    lastPanelInput = Date.now();
  });
  saveButton.addEventListener('click', save);
  deployButton.addEventListener('click', deploy);
  document.getElementById('modeller-download-xml').addEventListener('click', async () => {
    await settlePanel();
    const { xml } = await modeler.saveXML({ format: true });
    download(xml, 'application/xml', '.bpmn');
  });
  document.getElementById('modeller-download-svg').addEventListener('click', async () => {
    const { svg } = await modeler.saveSVG();
    download(svg, 'image/svg+xml', '.svg');
  });
  importInput.addEventListener('change', async () => {
    const file = importInput.files && importInput.files[0];
    if (!file) return;
    if (dirty() && !window.confirm('Replace the diagram? Your unsaved changes will be lost.')) {
      importInput.value = '';
      return;
    }
    if (await load(await file.text(), { fresh: true })) {
      say(`Imported ${file.name}. Save the draft to keep it.`, 'info');
    }
    importInput.value = '';
  });
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 's') {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty()) {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  load(data.xml, { fresh: false }).then(() => {
    if (data.note) say(data.note, 'info');
    else say(dirty() ? 'Not saved yet.' : 'All changes saved.', dirty() ? 'warning' : 'info');
    root.dataset.ready = 'true';
  });
}

start();
