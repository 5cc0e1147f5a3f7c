// `perf script` output in, a standalone SVG flame graph out, rendered by the
// npm package `flamegraph` (a port of Brendan Gregg's FlameGraph), for
// bench/flamegraph.sh:
//
//   perf script -F comm,tid,time,period,event,ip,sym,dso | node render.mjs "<title>" > out.svg
//
// Two things are done around the package:
//  - C++ template arguments are folded to <…>: estd's Boost.Asio frames run
//    to several kilobytes each otherwise, which makes the labels unreadable
//    and the file tens of megabytes. Instantiations of one template at the
//    same place in a stack are merged, which is what a reader wants here.
//  - Its SVG is made well-formed (the hover handlers carry a bare `&&`, which
//    a browser refuses when it opens the file as an image or a document) and
//    its heading, which the template leaves commented out, is shown.
import flamegraph from 'flamegraph';
import fs from 'node:fs';

const title = process.argv[2] || 'Flame Graph';

// "a<b<c>>::f<d>" → "a<…>::f<…>", leaving operator<, operator<<, operator<=>,
// operator-> and the like as they are.
export function foldTemplates(name) {
  let out = '';
  let depth = 0;
  for (let i = 0; i < name.length; i++) {
    const op = /^operator\s*(<=>|<<=|>>=|<<|>>|<=|>=|->\*?|<|>)/.exec(name.slice(i));
    if (op && depth === 0) {
      out += op[0];
      i += op[0].length - 1;
      continue;
    }
    const ch = name[i];
    if (ch === '<') {
      if (depth === 0) out += '<…>';
      depth++;
    } else if (ch === '>' && depth > 0) {
      depth--;
    } else if (depth === 0) {
      out += ch;
    }
  }
  return depth === 0 ? out : name;
}

// A frame line of `perf script`: "\t<address> <symbol> (<dso>)".
const frameLine = /^(\s+[0-9a-f]+ )(.*)( \([^()]*\))$/;
const lines = fs.readFileSync(0, 'utf8').split('\n').map((line) => {
  const m = frameLine.exec(line);
  return m ? m[1] + foldTemplates(m[2]) + m[3] : line;
});

let svg = flamegraph(lines, {inputtype: 'perf', titletext: title});
svg = svg.replace(/ && /g, ' &amp;&amp; ');
svg = svg.replace(/<!--(<text text-anchor="middle"[^>]*>[^<]*<\/text>)-->/, '$1');
process.stdout.write(svg);
