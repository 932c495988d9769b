// draft.js: the report being written, kept on the phone while it is
// written. A cheap phone may drop the page while the person is in the
// camera or in another app (Chrome on Android discards background tabs
// when memory is short); back in the app, the form is as they left it.
// The draft lives in IndexedDB beside the reports saved there (meta
// "draft:<mode>"), and goes when the report is saved, when the phone's data
// is erased, or when the volunteer logs out.

// snapshot reads every named field of form: [name, value] for text fields
// and lists, [name, value, true] for a ticked box or choice.
export function snapshot(form) {
  const fields = [];
  for (const f of form.elements) {
    if (!f.name || f.type === 'file' || f.type === 'submit' || f.type === 'button') continue;
    if (f.type === 'checkbox' || f.type === 'radio') {
      if (f.checked) fields.push([f.name, f.value, true]);
    } else if (f.value) {
      fields.push([f.name, f.value]);
    }
  }
  return fields;
}

// fill writes fields (from snapshot) back into form, over nothing the
// person has typed or ticked since: a text field that holds a value keeps
// it, a box ticked stays ticked, a choice made stays made. A list takes
// the draft's choice when it offers it (the nationalities come later: see
// app.js restoreDraft).
export function fill(form, fields) {
  for (const f of form.elements) {
    if (f.type !== 'checkbox' && f.type !== 'radio') continue;
    if (f.type === 'radio' && [...form.elements].some((g) => g.type === 'radio' && g.name === f.name && g.checked)) continue;
    if (fields.some(([n, v, on]) => on && n === f.name && v === f.value)) f.checked = true;
  }
  for (const [name, value, on] of fields) {
    if (on) continue;
    const f = form.elements.namedItem(name);
    if (!f || !('value' in f)) continue;
    if (f.type === 'select-one') {
      if ([...f.options].some((o) => o.value === value)) f.value = value;
    } else if (!f.value) {
      f.value = value;
    }
  }
}

// worthKeeping reports whether a snapshot holds anything the person wrote
// or chose: the embassy alone is preset by the page and a link.
export function worthKeeping(fields, files) {
  return files > 0 || fields.some(([name]) => name !== 'embassy');
}
