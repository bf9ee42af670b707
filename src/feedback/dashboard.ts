/**
 * The feedback dashboard: one self-contained HTML page (no external assets). A small inline script
 * fetches `/v1/feedback/metrics` and `/v1/experiments/:id/report` and draws inline SVG charts:
 * acceptance over time, retention curve, latency histogram and a per-arm comparison.
 * An API key can be given as `#key=…` in the URL (kept in sessionStorage, sent as a Bearer token).
 */

/** Returns the dashboard HTML. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ghostline — feedback</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:24px;background:#fafafa;color:#222}
h1{font-size:20px;margin:0 0 4px}.sub{color:#666;margin-bottom:16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px}
.card h2{font-size:15px;margin:0 0 8px}.kpis{display:flex;gap:24px;flex-wrap:wrap;margin-bottom:16px}
.kpi b{display:block;font-size:22px}.kpi span{color:#666}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}svg text{font-size:11px;fill:#555}.err{color:#b00}
</style></head><body>
<h1>Ghostline feedback</h1><div class="sub" id="sub">loading…</div>
<div class="kpis" id="kpis"></div>
<div class="grid">
<div class="card"><h2>Acceptance over time</h2><div id="timeline"></div></div>
<div class="card"><h2>Retention after accept</h2><div id="retention"></div></div>
<div class="card"><h2>Latency histogram (ms)</h2><div id="latency"></div></div>
<div class="card"><h2>By model / language</h2><div id="slices"></div></div>
</div>
<h2 style="font-size:16px;margin-top:20px">Experiments (per arm)</h2><div class="grid" id="experiments"></div>
<script>
(function(){
var m=location.hash.match(/key=([^&]+)/);if(m){sessionStorage.setItem("ghostline-key",decodeURIComponent(m[1]));history.replaceState(null,"",location.pathname+location.search);}
var key=sessionStorage.getItem("ghostline-key");
function get(u){return fetch(u,{headers:key?{Authorization:"Bearer "+key}:{}}).then(function(r){if(!r.ok)throw new Error(u+": HTTP "+r.status);return r.json();});}
var NS="http://www.w3.org/2000/svg";
function el(tag,attrs,text){var e=document.createElementNS(NS,tag);for(var k in attrs)e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;return e;}
function pct(x){return (100*x).toFixed(1)+"%";}
function chart(target,points,opts){
  var W=420,H=200,L=48,B=28,T=10,R=10,svg=el("svg",{viewBox:"0 0 "+W+" "+H,role:"img",style:"width:100%;height:auto;max-height:320px"});
  var n=points.length,ymax=opts.ymax||Math.max.apply(null,points.map(function(p){return p.hi!=null?p.hi:p.y;}).concat([1e-9]));
  function x(i){var P=30;return L+P+(n<=1?(W-L-R-2*P)/2:i*(W-L-R-2*P)/(n-1));}function y(v){return H-B-(v/ymax)*(H-B-T);}
  svg.appendChild(el("line",{x1:L,y1:H-B,x2:W-R,y2:H-B,stroke:"#999"}));svg.appendChild(el("line",{x1:L,y1:T,x2:L,y2:H-B,stroke:"#999"}));
  [0,0.5,1].forEach(function(f){svg.appendChild(el("text",{x:2,y:y(f*ymax)+4},opts.fmt?opts.fmt(f*ymax):(f*ymax).toFixed(0)));});
  if(opts.bars){var bw=(W-L-R)/Math.max(n,1)*0.8;points.forEach(function(p,i){var cx=L+(i+0.5)*(W-L-R)/n;
    svg.appendChild(el("rect",{x:cx-bw/2,y:y(p.y),width:bw,height:H-B-y(p.y),fill:p.color||"#4a7bd0"}));
    if(p.hi!=null){svg.appendChild(el("line",{x1:cx,x2:cx,y1:y(p.lo),y2:y(p.hi),stroke:"#222"}));}
    svg.appendChild(el("text",{x:cx,y:H-B+14,"text-anchor":"middle"},p.label));});}
  else{var d=points.map(function(p,i){return (i?"L":"M")+x(i)+","+y(p.y);}).join("");
    svg.appendChild(el("path",{d:d,fill:"none",stroke:"#4a7bd0","stroke-width":2}));
    points.forEach(function(p,i){svg.appendChild(el("circle",{cx:x(i),cy:y(p.y),r:3,fill:"#4a7bd0"}));
      if(n<=12||i%Math.ceil(n/8)===0)svg.appendChild(el("text",{x:x(i),y:H-B+14,"text-anchor":"middle"},p.label));});}
  if(!n)svg.appendChild(el("text",{x:W/2,y:H/2,"text-anchor":"middle"},"no data"));
  target.innerHTML="";target.appendChild(svg);}
function table(target,rows,head){var h="<table><tr>"+head.map(function(c){return "<th>"+c+"</th>";}).join("")+"</tr>";
  rows.forEach(function(r){h+="<tr>"+r.map(function(c){return "<td>"+String(c).replace(/[<&]/g,function(s){return s==="<"?"&lt;":"&amp;";})+"</td>";}).join("")+"</tr>";});
  target.innerHTML=h+"</table>";}
get("/v1/feedback/metrics").then(function(r){
  var o=r.overall;document.getElementById("sub").textContent="tenant "+r.tenant+" · generated "+new Date(r.generatedAt).toLocaleString();
  document.getElementById("kpis").innerHTML=[["completions",o.completions],["shown",o.shown],["acceptance",pct(o.acceptanceRate)],["char acceptance",pct(o.charAcceptanceRate)],["partial",pct(o.partialRate)],["p50 latency",o.latencyMs.p50.toFixed(0)+" ms"],["p90 latency",o.latencyMs.p90.toFixed(0)+" ms"]]
    .map(function(k){return '<div class="kpi"><b>'+k[1]+"</b><span>"+k[0]+"</span></div>";}).join("");
  chart(document.getElementById("timeline"),r.timeline.map(function(t){return {y:t.acceptanceRate,label:new Date(t.t).toISOString().slice(5,13).replace("T"," ")};}),{ymax:1,fmt:pct});
  chart(document.getElementById("retention"),o.retention.map(function(p){return {y:p.rate,label:p.intervalS+"s (n="+p.n+")"};}),{ymax:1,fmt:pct});
  chart(document.getElementById("latency"),r.latencyHistogram.counts.map(function(c,i){var b=r.latencyHistogram.boundsMs;return {y:c,label:i<b.length?"≤"+b[i]:">"+b[b.length-1]};}),{bars:true});
  var rows=[];function add(kind,obj){Object.keys(obj).forEach(function(k){var s=obj[k];rows.push([kind+" "+k,s.shown,pct(s.acceptanceRate),pct(s.charAcceptanceRate),s.latencyMs.p50.toFixed(0)]);});}
  add("model",r.byModel);add("lang",r.byLanguage);add("arm",r.byArm);
  table(document.getElementById("slices"),rows,["slice","shown","accept","chars","p50 ms"]);
  return Promise.all(r.experiments.map(function(id){return get("/v1/experiments/"+encodeURIComponent(id)+"/report");}));
}).then(function(reps){var box=document.getElementById("experiments");(reps||[]).forEach(function(rep){
  var card=document.createElement("div");card.className="card";card.innerHTML="<h2>"+rep.experiment+" — "+rep.stopping.status+" (need "+rep.stopping.requiredPerArm+"/arm, min "+rep.stopping.minArmShown+")</h2><div></div><div></div>";box.appendChild(card);
  chart(card.children[1],rep.arms.map(function(a){return {y:a.acceptance.p,lo:a.acceptance.low,hi:a.acceptance.high,label:a.arm};}),{bars:true,ymax:1,fmt:pct});
  table(card.children[2],rep.arms.map(function(a){var v=a.vsControl;return [a.arm,a.acceptance.n,pct(a.acceptance.p)+" ["+pct(a.acceptance.low)+", "+pct(a.acceptance.high)+"]",pct(a.retention.p),isFinite(a.latencyMs.p50.estimate)?a.latencyMs.p50.estimate.toFixed(0):"-",v?v.acceptance.pValue.toFixed(3):"control"];}),["arm","shown","acceptance (95% CI)","retention 5m","p50 ms","p vs control"]);
});}).catch(function(e){var s=document.getElementById("sub");s.className="err";s.textContent=String(e.message||e);});
})();
</script></body></html>`;
}
