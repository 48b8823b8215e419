import { startSimulator } from '../dist/simulator/index.js';
import { parsePage } from '../dist/api/page-parser.js';
import http from 'node:http';
const uid='2222222222222222222';
const s = await startSimulator({ token: 't', users: { [uid]: { size: 2000, bigRoomIds: 0.1 } }, prerender: true });
const body = await new Promise((res,rej)=>http.get(`${s.url}/tk/user/followers?token=t&uid=${uid}&cursor=0`,r=>{const ch=[];r.on('data',d=>ch.push(d));r.on('end',()=>res(Buffer.concat(ch)))}).on('error',rej));
console.log('body bytes', body.length);
for (let r=0;r<3;r++){ let t=performance.now(); for (let i=0;i<3000;i++) parsePage(body); console.log('parsePage ms', ((performance.now()-t)/500).toFixed(3));
t=performance.now(); for (let i=0;i<3000;i++) JSON.parse(body.toString()); console.log('JSON.parse(toString) ms', ((performance.now()-t)/500).toFixed(3)); }
await s.close();
