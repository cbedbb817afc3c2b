// Import a BPMN file the way the modeller does (bpmn-moddle + Camunda moddle), export it again,
// and print JSON: the import warnings and the ids of elements, flows and lanes before and after.
import { readFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };

const moddle = new BpmnModdle({ camunda });
const ids = (definitions) => {
  const found = { nodes: [], flows: [], lanes: [], shapes: [], edges: [], extensions: 0 };
  for (const root of definitions.rootElements) {
    if (root.$type !== 'bpmn:Process') continue;
    for (const element of root.flowElements || []) {
      (element.$type === 'bpmn:SequenceFlow' ? found.flows : found.nodes).push(element.id);
      found.extensions += (element.extensionElements?.values || []).length;
    }
    for (const set of root.laneSets || []) {
      for (const lane of set.lanes) found.lanes.push(`${lane.id}:${lane.flowNodeRef.map((n) => n.id).join(',')}`);
    }
  }
  for (const element of definitions.diagrams[0].plane.planeElement) {
    (element.$type === 'bpmndi:BPMNEdge' ? found.edges : found.shapes).push(element.bpmnElement.id);
  }
  return found;
};
const xml = readFileSync(process.argv[2], 'utf8');
const first = await moddle.fromXML(xml);
const { xml: exported } = await moddle.toXML(first.rootElement, { format: true });
const second = await moddle.fromXML(exported);
console.log(JSON.stringify({
  warnings: first.warnings.map((w) => w.message),
  before: ids(first.rootElement),
  after: ids(second.rootElement),
  exportWarnings: second.warnings.map((w) => w.message),
}));
