/*
 * Colossus rack map: draws /api/racks as halls -> pods -> rack cells,
 * refreshes it on a timer, shows a rack's nodes, GPUs, jobs and recent
 * events when a cell is clicked, and highlights the racks a job runs on.
 *
 * The cells are built once per topology and then only updated (a
 * data-state attribute, a class and the fill's height), so a refresh of
 * 3,136 racks touches no layout it does not need to.  Text from the
 * controller is only ever set as textContent, never parsed as HTML.
 *
 * Deep links: #rack=NAME opens a rack, #job=QUERY highlights jobs
 * (an id, ids separated by commas, a name, or user:NAME).
 */
'use strict';

(function () {
	const view = {
		cells: new Map(), // rack name -> {el, fill, pod, hall}
		layoutKey: '',
		timer: null,
		interval: 5,
		selected: null, // rack name
		query: '', // job search text
		loading: false,
	};

	const $ = (id) => document.getElementById(id);

	/* el('div', {className: 'x', dataset: {a: 1}}, 'text', child) */
	function el(tag, props, ...children) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(props || {})) {
			if (k === 'dataset')
				Object.assign(e.dataset, v);
			else
				e[k] = v;
		}
		for (const c of children) {
			if (c === null || c === undefined)
				continue;
			e.append(c instanceof Node ? c : String(c));
		}
		return e;
	}

	async function getJSON(path) {
		const r = await fetch(path, { cache: 'no-store' });
		let body = null;
		try {
			body = await r.json();
		} catch (e) {
			body = null;
		}
		if (!r.ok)
			throw new Error((body && body.error) ||
				`${r.status} ${r.statusText}`);
		return body;
	}

	const enc = encodeURIComponent;
	const pct = (a, b) => (b ? Math.round((100 * a) / b) : 0);

	function ago(sec) {
		if (!sec)
			return 'never';
		const d = Math.max(0, Math.round(Date.now() / 1000 - sec));
		if (d < 90)
			return `${d} s ago`;
		if (d < 5400)
			return `${Math.round(d / 60)} min ago`;
		if (d < 172800)
			return `${Math.round(d / 3600)} h ago`;
		return `${Math.round(d / 86400)} d ago`;
	}

	function clock(sec) {
		return sec ? new Date(sec * 1000).toLocaleString() : '';
	}

	function pill(state, text) {
		return el('span', { className: 'pill', dataset: { state } }, text || state);
	}

	/* ---- the map ---- */

	function layoutKeyOf(data) {
		const parts = [];
		for (const h of data.halls)
			for (const p of h.pods)
				parts.push(h.name + '/' + p.name + ':' +
					p.racks.map((r) => r.name).join(','));
		return parts.join(';');
	}

	function build(data) {
		const map = $('map');
		let n = 0;
		view.cells.clear();
		map.replaceChildren();
		for (const h of data.halls) {
			const pods = el('div', { className: 'pods' });
			let racks = 0;
			for (const p of h.pods) {
				const pod = el('div', {
					className: 'pod',
					title: `pod ${p.name}`,
					dataset: { pod: p.name },
				});
				pod.setAttribute('role', 'group');
				pod.setAttribute('aria-label', `pod ${p.name}`);
				for (const r of p.racks) {
					const fill = el('span', { className: 'u' });
					const cell = el('button', {
						type: 'button',
						className: 'rack',
						dataset: { rack: r.name },
					}, fill);
					pod.append(cell);
					view.cells.set(r.name, {
						el: cell, fill, pod: p.name, hall: h.name,
					});
					racks++;
				}
				pods.append(pod);
			}
			n += racks;
			map.append(el('section', { className: 'hall', dataset: { hall: h.name } },
				el('h2', {}, `hall ${h.name}`,
					el('span', { className: 'count' },
						`${h.pods.length} pods, ${racks} racks`)),
				pods));
		}
		/* Phase 2 (3,136 racks) still fits one screen: smaller cells,
		 * narrower halls, two halls side by side. */
		const [cell, gap, hallw] = n > 2400 ? ['9px', '1px', '420px']
			: n > 1200 ? ['12px', '2px', '520px'] : ['14px', '2px', '560px'];
		const root = document.documentElement.style;
		root.setProperty('--cell', cell);
		root.setProperty('--gap', gap);
		root.setProperty('--hallw', hallw);
		view.layoutKey = layoutKeyOf(data);
	}

	function update(data) {
		for (const h of data.halls) {
			for (const p of h.pods) {
				for (const r of p.racks) {
					const c = view.cells.get(r.name);
					if (!c)
						continue;
					c.el.dataset.state = r.state;
					c.el.classList.toggle('problem', r.problems > 0 &&
						['idle', 'busy', 'unhealthy'].includes(r.state));
					c.fill.style.height = `${pct(r.used, r.gpus)}%`;
					let t = `${r.name} (pod ${p.name}, hall ${h.name}): ` +
						`${r.state}, ${r.used}/${r.gpus} GPUs in use, ` +
						`${r.jobs} job${r.jobs === 1 ? '' : 's'}, ` +
						`${r.up}/${r.nodes} nodes up`;
					if (r.problems)
						t += `, ${r.problems} node${r.problems === 1 ? '' : 's'} out of service`;
					if (r.reason)
						t += ` — ${r.reason}`;
					c.el.title = t;
					c.el.setAttribute('aria-label', t);
				}
			}
		}
	}

	function summarize(data) {
		const t = data.totals;
		const s = $('summary');
		const items = [
			['racks', t.racks],
			['nodes', t.nodes],
			['GPUs in use', `${t.gpus_used} / ${t.gpus} (${pct(t.gpus_used, t.gpus)}%)`],
			['jobs running', t.jobs_by_state.running || 0],
			['pending', t.jobs_by_state.pending || 0],
		];
		for (const st of ['down', 'drained', 'draining', 'unhealthy', 'unknown'])
			if (t.racks_by_state[st])
				items.push([`racks ${st}`, t.racks_by_state[st]]);
		s.replaceChildren(...items.map(([k, v]) =>
			el('span', { dataset: { key: k } }, el('b', {}, String(v)), ` ${k}`)));
	}

	function setStatus(text, error) {
		const s = $('status');
		s.textContent = text;
		s.classList.toggle('error', !!error);
	}

	async function refresh() {
		clearTimeout(view.timer);
		if (view.loading)
			return;
		view.loading = true;
		try {
			const data = await getJSON('api/racks');
			if (layoutKeyOf(data) !== view.layoutKey) {
				build(data);
				if (view.selected)
					markSelected(view.selected);
			}
			update(data);
			summarize(data);
			const role = data.active ? 'active' : data.standby ? 'standby' : 'not active';
			setStatus(`controller ${data.controller} (${role}) — updated ` +
				new Date().toLocaleTimeString(), !data.active);
			document.body.dataset.updated = String(Date.now());
			if (view.query)
				await search(view.query, true);
			if (view.selected && !$('detail').hidden)
				await showRack(view.selected, true);
		} catch (e) {
			setStatus(`controller unreachable: ${e.message} — retrying`, true);
		} finally {
			view.loading = false;
			schedule();
		}
	}

	function schedule() {
		clearTimeout(view.timer);
		if (view.interval > 0 && !document.hidden)
			view.timer = setTimeout(refresh, view.interval * 1000);
	}

	/* ---- a rack's details ---- */

	function markSelected(name) {
		for (const e of document.querySelectorAll('.rack.selected'))
			e.classList.remove('selected');
		const c = view.cells.get(name);
		if (c)
			c.el.classList.add('selected');
	}

	function gpuGrid(node) {
		return el('span', { className: 'gpus' }, ...node.gpu.map((g) =>
			el('span', {
				className: 'gpu',
				dataset: { state: g.state },
				title: `GPU ${g.index}: ${g.state}` + (g.job ? ` (job ${g.job})` : ''),
			})));
	}

	function jobLink(id) {
		const b = el('button', { type: 'button', className: 'joblink' }, String(id));
		b.addEventListener('click', () => {
			$('q').value = String(id);
			search(String(id));
		});
		return b;
	}

	function nodesTable(nodes) {
		const rows = nodes.map((n) => {
			const byRack = n.rack_admin !== 'none' && n.admin === 'none';
			const tr = el('tr', { dataset: { node: n.name, state: n.state } },
				el('td', {}, n.name, n.spare ? el('span', { className: 'muted' }, ' spare') : null),
				el('td', {}, pill(n.state)),
				el('td', {}, byRack ? pill(n.rack_admin, `rack ${n.rack_admin}`) : pill(n.admin)),
				el('td', {}, pill(n.health)),
				el('td', {}, gpuGrid(n)),
				el('td', {}, ...n.jobs.flatMap((j, i) => (i ? [' ', jobLink(j)] : [jobLink(j)]))));
			const notes = [];
			if (n.reason)
				notes.push(n.reason);
			if (n.agent_problem)
				notes.push(`agent: ${n.agent_problem}`);
			if (n.state === 'up' && n.heartbeat_age_ms > 0)
				notes.push(`heartbeat ${(n.heartbeat_age_ms / 1000).toFixed(1)} s ago`);
			else if (n.state !== 'up')
				notes.push(`last heartbeat ${ago(n.last_heartbeat)}`);
			const note = el('tr', { className: 'muted' },
				el('td', { colSpan: 6 }, notes.join(' · ')));
			return [tr, note];
		}).flat();
		return el('table', {},
			el('thead', {}, el('tr', {}, ...['node', 'state', 'admin', 'health', 'GPUs', 'jobs']
				.map((h) => el('th', {}, h)))),
			el('tbody', {}, ...rows));
	}

	function jobsTable(jobs) {
		if (!jobs.length)
			return el('p', { className: 'muted' }, 'No jobs on this rack.');
		return el('table', {},
			el('thead', {}, el('tr', {}, ...['job', 'name', 'user', 'state', 'nodes', 'racks']
				.map((h) => el('th', {}, h)))),
			el('tbody', {}, ...jobs.map((j) => el('tr', { dataset: { job: String(j.id) } },
				el('td', {}, jobLink(j.id)),
				el('td', {}, j.name || ''),
				el('td', {}, j.user),
				el('td', {}, pill(j.state)),
				el('td', {}, `${j.nodes} × ${j.gpus_per_node} GPUs`),
				el('td', {}, String(j.racks.length))))));
	}

	function eventsList(ev) {
		if (ev.error)
			return el('p', { className: 'muted' }, `Events unavailable: ${ev.error}`);
		if (!ev.events.length)
			return el('p', { className: 'muted' }, 'No events recorded for this rack or its nodes.');
		return el('ul', { className: 'events' }, ...ev.events.map((e) =>
			el('li', { dataset: { kind: e.kind } },
				el('span', { className: 'muted' }, clock(e.at)), ' ',
				el('b', {}, e.kind), e.node ? ` ${e.node}` : '',
				e.job ? ` job ${e.job}` : '',
				e.reason ? ` — ${e.reason}` : '',
				e.actor && e.actor !== 'controller' ? ` (by ${e.actor})` : '')));
	}

	async function showRack(name, quiet) {
		const c = view.cells.get(name);
		const body = $('detail-body');
		view.selected = name;
		markSelected(name);
		$('detail').hidden = false;
		if (!quiet) {
			body.replaceChildren(el('p', { className: 'muted' }, `loading ${name}…`));
			setHash();
		}
		try {
			const [nodes, events] = await Promise.all([
				getJSON(`api/nodes?rack=${enc(name)}`),
				getJSON(`api/events?rack=${enc(name)}&limit=30`)
					.catch((e) => ({ error: e.message, events: [] })),
			]);
			const ids = [...new Set(nodes.nodes.flatMap((n) => n.jobs))];
			const jobs = ids.length
				? (await getJSON(`api/jobs?id=${ids.join(',')}`)).jobs : [];
			if (view.selected !== name)
				return;
			const cell = c ? c.el : null;
			const state = cell ? cell.dataset.state : '';
			const used = nodes.nodes.reduce((a, n) =>
				a + n.gpu.filter((g) => g.state !== 'free').length, 0);
			const gpus = nodes.nodes.reduce((a, n) => a + n.gpus, 0);
			body.replaceChildren(
				el('h3', { dataset: { rack: name } }, `rack ${name} `, state ? pill(state) : null),
				el('p', { className: 'muted' },
					c ? `pod ${c.pod}, hall ${c.hall} · ` : '',
					`${used}/${gpus} GPUs in use · ${nodes.nodes.length} nodes`),
				el('h4', {}, 'Nodes'),
				nodesTable(nodes.nodes),
				el('h4', {}, `Jobs (${jobs.length})`),
				jobsTable(jobs),
				el('h4', {}, 'Recent events'),
				eventsList(events));
		} catch (e) {
			if (!quiet)
				body.replaceChildren(el('p', { className: 'muted' },
					`Cannot load ${name}: ${e.message}`));
		}
	}

	function closeDetail() {
		view.selected = null;
		markSelected(null);
		$('detail').hidden = true;
		setHash();
	}

	/* ---- job search ---- */

	function jobsPath(q) {
		if (/^\d+(,\d+)*$/.test(q))
			return `api/jobs?id=${q}`;
		if (q.startsWith('user:'))
			return `api/jobs?state=active&user=${enc(q.slice(5))}&limit=1000`;
		return `api/jobs?state=active&q=${enc(q)}&limit=1000`;
	}

	async function search(q, quiet) {
		q = q.trim();
		if (!q)
			return clearSearch();
		view.query = q;
		if (!quiet)
			setHash();
		let res;
		try {
			res = await getJSON(jobsPath(q));
		} catch (e) {
			setStatus(`search failed: ${e.message}`, true);
			return;
		}
		const racks = new Set(res.jobs.flatMap((j) => j.racks));
		const map = $('map');
		map.classList.add('searching');
		for (const [name, c] of view.cells)
			c.el.classList.toggle('hl', racks.has(name));
		map.dataset.highlighted = String(racks.size);
		const found = res.jobs.length;
		const desc = found === 1
			? `job ${res.jobs[0].id} (${res.jobs[0].state}) on ${racks.size} rack${racks.size === 1 ? '' : 's'}`
			: `${found} job${found === 1 ? '' : 's'} on ${racks.size} rack${racks.size === 1 ? '' : 's'}`;
		$('q').title = desc;
		let line = $('found');
		if (!line) {
			line = el('span', { id: 'found' });
			$('summary').after(el('p', { className: 'summary' }, line));
		}
		line.textContent = `Search “${q}”: ${found ? desc : 'no matching job'}`;
	}

	function clearSearch() {
		view.query = '';
		$('q').value = '';
		$('map').classList.remove('searching');
		delete $('map').dataset.highlighted;
		for (const c of view.cells.values())
			c.el.classList.remove('hl');
		const line = $('found');
		if (line)
			line.parentElement.remove();
		setHash();
	}

	/* ---- wiring ---- */

	function setHash() {
		const p = new URLSearchParams();
		if (view.selected)
			p.set('rack', view.selected);
		if (view.query)
			p.set('job', view.query);
		const h = p.toString();
		history.replaceState(null, '', h ? `#${h}` : location.pathname + location.search);
	}

	function init() {
		$('map').addEventListener('click', (ev) => {
			const cell = ev.target.closest('.rack');
			if (cell)
				showRack(cell.dataset.rack);
		});
		$('close').addEventListener('click', closeDetail);
		$('search').addEventListener('submit', (ev) => {
			ev.preventDefault();
			search($('q').value);
		});
		$('clear').addEventListener('click', clearSearch);
		$('interval').addEventListener('change', (ev) => {
			view.interval = Number(ev.target.value);
			schedule();
		});
		document.addEventListener('keydown', (ev) => {
			if (ev.key === 'Escape')
				closeDetail();
		});
		/* A pasted or edited link (#rack=...&job=...) applies at once. */
		window.addEventListener('hashchange', () => applyHash(false));
		document.addEventListener('visibilitychange', () => {
			if (!document.hidden)
				refresh();
			else
				clearTimeout(view.timer);
		});
		applyHash(true);
	}

	/* Select the rack and job search a #rack=...&job=... link names. */
	function applyHash(first) {
		const p = new URLSearchParams(location.hash.slice(1));
		const job = p.get('job') || '';
		const rack = p.get('rack');
		$('q').value = job;
		view.query = job;
		if (first) {
			refresh().then(() => {
				if (rack)
					showRack(rack);
			});
			return;
		}
		if (job)
			search(job, true);
		else
			clearSearch();
		if (rack)
			showRack(rack);
		else if (view.selected)
			closeDetail();
	}

	init();
})();
