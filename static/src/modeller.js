// The modeller page for BPMN drafts: bpmn-js with the Camunda 7 properties panel and bpmnlint. Saving,
// the problem list and deploying are shared with DMN drafts (draft-editor.js).

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

import { startDraftEditor } from './draft-editor.js';

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

  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  let marked = [];
  let lastPanelInput = 0;

  document.getElementById('modeller-properties').addEventListener('input', () => {
    lastPanelInput = Date.now();
  });

  const editor = {
    label: 'BPMN',
    suffix: '.bpmn',
    importXML: (xml) => modeler.importXML(xml),
    async saveXML() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml;
    },
    async settle() {
      if (document.activeElement && document.activeElement.closest('#modeller-properties')) {
        document.activeElement.blur();
      }
      const wait = lastPanelInput + PANEL_DEBOUNCE_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
    onChange(callback) {
      modeler.on('commandStack.changed', (event) => {
        if (event.trigger !== 'clear') callback(); // a new diagram was imported: the shell counts that
      });
    },
    mark(problem, isError) {
      if (!registry.get(problem.element_id)) return false;
      if (isError) {
        canvas.addMarker(problem.element_id, PROBLEM_MARKER);
        marked.push(problem.element_id);
      }
      return true;
    },
    unmarkAll() {
      marked.forEach((id) => registry.get(id) && canvas.removeMarker(id, PROBLEM_MARKER));
      marked = [];
    },
    reveal(problem) {
      const element = registry.get(problem.element_id);
      if (!element) return;
      modeler.get('selection').select(element);
      canvas.scrollToElement(element);
    },
    fit: () => canvas.zoom('fit-viewport', 'auto'),
  };

  const shell = startDraftEditor(editor, { root, data });
  document.getElementById('modeller-download-svg').addEventListener('click', async () => {
    const { svg } = await modeler.saveSVG();
    shell.download(svg, 'image/svg+xml', '.svg');
  });
}

start();
