// The preview on the Map -> Model page: the BPMN generated on the server (in the data-xml attribute of
// #map-preview) shown read-only, fitted to the canvas. Pan with the mouse, zoom with the wheel.

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';

// A long map scrolls inside its box: bring the first line with a warning or problem into view.
function showFirstNote() {
  const list = document.querySelector('.map-lines');
  const first = list && list.querySelector('.map-line--noted');
  if (first) list.scrollTop = Math.max(0, first.offsetTop - list.clientHeight / 3);
}

async function start() {
  showFirstNote();
  const root = document.getElementById('map-preview');
  if (!root) return;
  const canvasNode = root.querySelector('.diagram-canvas');
  const statusNode = document.getElementById('map-preview-status') || document.createElement('p');
  const viewer = new NavigatedViewer({ container: canvasNode });
  window.batonViewer = viewer;
  const canvas = viewer.get('canvas');
  root.querySelector('.diagram-fallback')?.remove();
  try {
    const { warnings } = await viewer.importXML(root.dataset.xml);
    canvas.zoom('fit-viewport', 'auto');
    statusNode.textContent = warnings.length
      ? `Shown with ${warnings.length} import warning(s).`
      : 'Drag to pan, scroll to zoom.';
    root.dataset.ready = 'true';
  } catch (err) {
    statusNode.textContent = `The preview could not be drawn: ${err.message || err}. Download the .bpmn file instead.`;
    root.dataset.ready = 'error';
  }
  let resizing = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => canvas.zoom('fit-viewport', 'auto'), 150);
  });
}

start();
