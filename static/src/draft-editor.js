// The part of the modeller page that is the same for BPMN (bpmn-js) and DMN (dmn-js) drafts: save on
// the server (which answers Baton's parser's problems), the problem list, deploy, import, download,
// and the warning before leaving with unsaved changes. Each editor plugs in through `editor`:
//   importXML(xml) -> {warnings}, saveXML() -> xml, settle() (let debounced inputs land),
//   onChange(callback) (every edit, not imports), mark(problem) -> whether the problem's element is
//   known here (and marks it), unmarkAll(), reveal(problem) (show the element), fit().

import { el, postJSON } from './http.js';

export function startDraftEditor(editor, { root, data }) {
  const status = document.getElementById('modeller-status');
  const problemsBox = document.getElementById('modeller-problems');
  const deployButton = document.getElementById('modeller-deploy');
  const saveButton = document.getElementById('modeller-save');
  const importInput = document.getElementById('modeller-import');
  const deploysWithNode = document.getElementById('modeller-deploys-with');

  let changes = 0; // edits since the page loaded
  let savedAt = data.unsaved ? -1 : 0; // `changes` when the server last saved the editor's content
  let lastProblems = data.problems || [];
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

  function showDeploysWith(names) {
    if (!deploysWithNode || !Array.isArray(names)) return;
    deploysWithNode.textContent = names.length
      ? `Deploys with the processes that call these decisions: ${names.join(', ')}.`
      : 'No deployed process calls these decisions yet: deploy the process draft that calls them (it takes this DMN along), or both files on the Deploy page.';
  }

  function showProblems(problems, warnings) {
    editor.unmarkAll();
    problemsBox.replaceChildren();
    problemsBox.hidden = !(problems.length || (warnings && warnings.length));
    if (problemsBox.hidden) return;
    problemsBox.append(el('h2', 'card-title', problems.length
      ? `${problems.length} problem${problems.length === 1 ? '' : 's'} to fix before deploying`
      : 'Warnings (the model can still be deployed)'));
    const list = el('ul', 'plain problem-list');
    const rows = [
      ...problems.map((p) => ({ ...p, severity: 'error' })),
      ...(warnings || []).map((p) => ({ ...p, severity: 'warning' })),
    ];
    for (const problem of rows) {
      const item = el('li', `problem-item problem-item--${problem.severity}`);
      const label = problem.element_id ? `${problem.element_id}: ` : '';
      const where = problem.line ? ` (line ${problem.line})` : '';
      const file = problem.file && data.fileName && problem.file !== data.fileName ? `${problem.file}: ` : '';
      const text = `${file}${label}${problem.message}${where}`;
      const known = problem.element_id && (!problem.file || problem.file === data.fileName)
        && editor.mark(problem, problem.severity === 'error');
      if (known) {
        const button = el('button', 'btn btn-quiet btn-small problem-link', text);
        button.type = 'button';
        button.dataset.elementId = problem.element_id;
        button.addEventListener('click', () => editor.reveal(problem));
        item.append(button);
      } else {
        item.append(el('span', 'problem-text', text));
      }
      list.append(item);
    }
    problemsBox.append(list);
  }

  async function save() {
    if (busy) return;
    busy = true;
    refreshButtons();
    say('Saving…');
    try {
      await editor.settle();
      const at = changes;
      const xml = await editor.saveXML();
      const { ok, data: body } = await postJSON(data.saveUrl, { xml });
      if (!ok) {
        say(body.message || 'The draft was not saved.', 'error');
        return;
      }
      savedAt = at;
      if (body.file_name) data.fileName = body.file_name; // a BPMN draft is named after its process id
      lastProblems = body.problems || [];
      showProblems(lastProblems, body.warnings || []);
      showDeploysWith(body.deploys_with);
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
      const { warnings } = await editor.importXML(xml);
      editor.fit();
      if (fresh) changes += 1; // a replaced diagram is an unsaved change
      if (warnings && warnings.length) say(`Opened with ${warnings.length} import warning(s).`, 'warning');
      showProblems(lastProblems, []);
      refreshButtons();
      return true;
    } catch (err) {
      say(`This file cannot be opened as ${editor.label}: ${err.message || err}`, 'error');
      return false;
    }
  }

  editor.onChange(() => {
    changes += 1;
    refreshButtons();
  });
  saveButton.addEventListener('click', save);
  deployButton.addEventListener('click', deploy);
  document.getElementById('modeller-download-xml').addEventListener('click', async () => {
    await editor.settle();
    download(await editor.saveXML(), 'application/xml', editor.suffix);
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

  showDeploysWith(data.deploysWith);
  load(data.xml, { fresh: false }).then(() => {
    if (data.note) say(data.note, 'info');
    else say(dirty() ? 'Not saved yet.' : 'All changes saved.', dirty() ? 'warning' : 'info');
    root.dataset.ready = 'true';
  });

  return { download, say };
}
