// streammesh web UI: small enhancements only; every page works without JavaScript.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

// The lineage graph: columns by the layer the server computed, nodes in each column in the
// order sent; edges as curves from a node's right side to the next node's left side.
function drawLineage(section) {
  const data = JSON.parse(section.querySelector("#lineage-data").textContent);
  if (!data.nodes.length) return;
  const column = 340, row = 54, width = 180, height = 34, margin = 12;
  const counts = new Map();
  const places = new Map();
  for (const node of data.nodes) {
    const index = counts.get(node.layer) || 0;
    counts.set(node.layer, index + 1);
    places.set(node.id, { x: margin + node.layer * column, y: margin + index * row });
  }
  const columns = Math.max(...data.nodes.map((node) => node.layer)) + 1;
  const rows = Math.max(...counts.values());
  const svg = svgElement("svg", {
    class: "lineage",
    width: margin * 2 + (columns - 1) * column + width,
    height: margin * 2 + (rows - 1) * row + height,
    role: "img",
    "aria-label": "lineage graph",
  });
  // Every edge ends in an arrow head: data flows left to right, from source to sink.
  const defs = svgElement("defs", {});
  const marker = svgElement("marker", {
    id: "lineage-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse",
  });
  marker.appendChild(svgElement("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  for (const edge of data.edges) {
    const from = places.get(edge.source), to = places.get(edge.target);
    if (!from || !to) continue;
    const x1 = from.x + width, y1 = from.y + height / 2, x2 = to.x, y2 = to.y + height / 2;
    const bend = Math.max(Math.abs(x2 - x1) / 2, 30);
    const path = svgElement("path", {
      class: `edge edge-${edge.kind}`,
      d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      "marker-end": "url(#lineage-arrow)",
      "data-edge": `${edge.source}>${edge.target}`,
    });
    const title = svgElement("title", {});
    title.textContent = edge.label;
    path.appendChild(title);
    svg.appendChild(path);
    // The edge's kind (and a consumer's lag) written at the curve's middle.
    const label = svgElement("text", {
      x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, class: "edge-label", "text-anchor": "middle",
    });
    label.textContent = edge.label;
    svg.appendChild(label);
  }
  for (const node of data.nodes) {
    const place = places.get(node.id);
    const group = svgElement("g", {
      class: `node kind-${node.kind}${node.id === data.center ? " center" : ""}`,
      "data-node": node.id,
    });
    group.appendChild(svgElement("rect", { x: place.x, y: place.y, width, height, rx: 5 }));
    const label = svgElement("text", { x: place.x + 8, y: place.y + 21 });
    label.textContent = node.name.length > 26 ? node.name.slice(0, 25) + "…" : node.name;
    group.appendChild(label);
    const title = svgElement("title", {});
    title.textContent = `${node.kind} ${node.name}` + (node.team ? ` (team ${node.team})` : "") +
      (node.status ? `, ${node.status}` : "");
    group.appendChild(title);
    if (node.href) {
      const link = svgElement("a", { href: node.href });
      link.appendChild(group);
      svg.appendChild(link);
    } else {
      svg.appendChild(group);
    }
  }
  // The same nodes and edges stay on the page as a list (for screen readers and keyboards),
  // folded under the drawing.
  const fallback = section.querySelector(".lineage-fallback");
  if (fallback) fallback.open = false;
  section.insertBefore(svg, fallback);
}

// A stream application's page: its status and output sample are fetched again every few
// seconds (the server renders the part; without JavaScript, reload the page).
function refreshLive(section) {
  const every = Number(section.dataset.every || 3) * 1000;
  const tick = async () => {
    try {
      const response = await fetch(section.dataset.live, { credentials: "same-origin" });
      if (response.ok) section.innerHTML = await response.text();
    } catch (error) {
      // The server may be restarting: the next tick tries again.
    }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
}

// On a narrow screen the navigation collapses behind the Menu button (CSS hides it only when
// this script runs, so without JavaScript the links stay listed).
function collapsibleMenu(header) {
  const toggle = header.querySelector(".nav-toggle");
  if (!toggle) return;
  document.documentElement.classList.add("js");
  toggle.addEventListener("click", () => {
    const open = header.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const header = document.querySelector("header.top");
  if (header) collapsibleMenu(header);
  for (const section of document.querySelectorAll("[data-live]")) refreshLive(section);
  // Comparing schema versions: show the diff as soon as a version is picked.
  for (const form of document.querySelectorAll("form.diff-form")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
  const lineage = document.querySelector("#lineage-graph");
  if (lineage) drawLineage(lineage);
});
