var e,t,n,r,i,a,o,s,c,l,u,d,f,p,m={},h=[],g=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,_=Array.isArray;function v(e,t){for(var n in t)e[n]=t[n];return e}function y(e){e&&e.parentNode&&e.parentNode.removeChild(e)}function b(t,n,r){var i,a,o,s={};for(o in n)o==`key`?i=n[o]:o==`ref`?a=n[o]:s[o]=n[o];if(arguments.length>2&&(s.children=arguments.length>3?e.call(arguments,2):r),typeof t==`function`&&t.defaultProps!=null)for(o in t.defaultProps)s[o]===void 0&&(s[o]=t.defaultProps[o]);return x(t,s,i,a,null)}function x(e,r,i,a,o){var s={type:e,props:r,key:i,ref:a,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:o??++n,__i:-1,__u:0};return o==null&&t.vnode!=null&&t.vnode(s),s}function S(e){return e.children}function C(e,t){this.props=e,this.context=t}function w(e,t){if(t==null)return e.__?w(e.__,e.__i+1):null;for(var n;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null)return n.__e;return typeof e.type==`function`?w(e):null}function ee(e){if(e.__P&&e.__d){var n=e.__v,r=n.__e,i=[],a=[],o=v({},n);o.__v=n.__v+1,t.vnode&&t.vnode(o),re(e.__P,o,n,e.__n,e.__P.namespaceURI,32&n.__u?[r]:null,i,r??w(n),!!(32&n.__u),a),o.__v=n.__v,o.__.__k[o.__i]=o,ae(i,o,a),n.__e=n.__=null,o.__e!=r&&T(o)}}function T(e){if((e=e.__)!=null&&e.__c!=null)return e.__e=e.__c.base=null,e.__k.some(function(t){if(t!=null&&t.__e!=null)return e.__e=e.__c.base=t.__e}),T(e)}function E(e){(!e.__d&&(e.__d=!0)&&r.push(e)&&!D.__r++||i!=t.debounceRendering)&&((i=t.debounceRendering)||a)(D)}function D(){try{for(var e,t=1;r.length;)r.length>t&&r.sort(o),e=r.shift(),t=r.length,ee(e)}finally{r.length=D.__r=0}}function te(e,t,n,r,i,a,o,s,c,l,u){var d,f,p,g,_,v,y=r&&r.__k||h,b=t.length;for(c=O(n,t,y,c,b),d=0;d<b;d++)(p=n.__k[d])!=null&&(f=p.__i!=-1&&y[p.__i]||m,p.__i=d,v=re(e,p,f,i,a,o,s,c,l,u),g=p.__e,p.ref&&f.ref!=p.ref&&(f.ref&&ce(f.ref,null,p),u.push(p.ref,p.__c||g,p)),_==null&&g!=null&&(_=g),4&p.__u?(c=k(p,c,e),f.__e&&(f.__e=null)):typeof p.type==`function`&&v!==void 0?c=v:g&&(c=g.nextSibling),p.__u&=-7);return n.__e=_,c}function O(e,t,n,r,i){var a,o,s,c,l,u=n.length,d=u,f=0;for(e.__k=Array(i),a=0;a<i;a++)(o=t[a])!=null&&typeof o!=`boolean`&&typeof o!=`function`?(typeof o==`string`||typeof o==`number`||typeof o==`bigint`||o.constructor==String?o=e.__k[a]=x(null,o,null,null,null):_(o)?o=e.__k[a]=x(S,{children:o},null,null,null):o.constructor===void 0&&o.__b>0?o=e.__k[a]=x(o.type,o.props,o.key,o.ref?o.ref:null,o.__v):e.__k[a]=o,c=a+f,o.__=e,o.__b=e.__b+1,s=null,(l=o.__i=ne(o,n,c,d))!=-1&&(d--,(s=n[l])&&(s.__u|=2)),s==null||s.__v==null?(l==-1&&(i>u?f--:i<u&&f++),typeof o.type!=`function`&&(o.__u|=4)):l!=c&&(l==c-1?f--:l==c+1?f++:(l>c?f--:f++,o.__u|=4))):e.__k[a]=null;if(d)for(a=0;a<u;a++)(s=n[a])!=null&&!(2&s.__u)&&(s.__e==r&&(r=w(s)),le(s,s));return r}function k(e,t,n){var r,i;if(typeof e.type==`function`){for(r=e.__k,i=0;r&&i<r.length;i++)r[i]&&(r[i].__=e,t=k(r[i],t,n));return t}e.__e!=t&&(t&&e.type&&!t.parentNode&&(t=w(e)),t=n.insertBefore(e.__e,t||null));do t&&=t.nextSibling;while(t!=null&&t.nodeType==8);return t}function ne(e,t,n,r){var i,a,o,s=e.key,c=e.type,l=t[n],u=l!=null&&!(2&l.__u);if(l===null&&s==null||u&&s==l.key&&c==l.type)return n;if(r>+!!u){for(i=n-1,a=n+1;i>=0||a<t.length;)if((l=t[o=i>=0?i--:a++])!=null&&!(2&l.__u)&&s==l.key&&c==l.type)return o}return-1}function A(e,t,n){t[0]==`-`?e.setProperty(t,n??``):e[t]=n==null?``:typeof n!=`number`||g.test(t)?n:n+`px`}function j(e,t,n,r,i){var a,o;n:if(t==`style`){if(typeof n==`string`)e.style.cssText=n;else{if(typeof r==`string`&&(e.style.cssText=r=``),r)for(t in r)n&&t in n||A(e.style,t,``);if(n)for(t in n)r&&n[t]==r[t]||A(e.style,t,n[t])}}else if(t[0]==`o`&&t[1]==`n`)a=t!=(t=t.replace(u,`$1`)),o=t.toLowerCase(),t=o in e||t==`onFocusOut`||t==`onFocusIn`?o.slice(2):t.slice(2),e.l||={},e.l[t+a]=n,n?r?n[l]=r[l]:(n[l]=d,e.addEventListener(t,a?p:f,a)):e.removeEventListener(t,a?p:f,a);else{if(i==`http://www.w3.org/2000/svg`)t=t.replace(/xlink(H|:h)/,`h`).replace(/sName$/,`s`);else if(t!=`width`&&t!=`height`&&t!=`href`&&t!=`list`&&t!=`form`&&t!=`tabIndex`&&t!=`download`&&t!=`rowSpan`&&t!=`colSpan`&&t!=`role`&&t!=`popover`&&t in e)try{e[t]=n??``;break n}catch{}typeof n==`function`||(n==null||!1===n&&t[4]!=`-`?e.removeAttribute(t):e.setAttribute(t,t==`popover`&&n==1?``:n))}}function M(e){return function(n){if(this.l){var r=this.l[n.type+e];if(n[c]==null)n[c]=d++;else if(n[c]<r[l])return;return r(t.event?t.event(n):n)}}}function re(e,n,r,i,a,o,s,c,l,u){var d,f,p,m,g,b,x,ee,T,E,D,O,k,ne,A,j,M=n.type;if(n.constructor!==void 0)return null;128&r.__u&&(l=!!(32&r.__u),o=[c=n.__e=r.__e]),(d=t.__b)&&d(n);n:if(typeof M==`function`){f=s.length;try{if(T=n.props,E=M.prototype&&M.prototype.render,D=(d=M.contextType)&&i[d.__c],O=d?D?D.props.value:d.__:i,r.__c?ee=(p=n.__c=r.__c).__=p.__E:(E?n.__c=p=new M(T,O):(n.__c=p=new C(T,O),p.constructor=M,p.render=ue),D&&D.sub(p),p.state||(p.state={}),p.__n=i,m=p.__d=!0,p.__h=[],p._sb=[]),E&&p.__s==null&&(p.__s=p.state),E&&M.getDerivedStateFromProps!=null&&(p.__s==p.state&&(p.__s=v({},p.__s)),v(p.__s,M.getDerivedStateFromProps(T,p.__s))),g=p.props,b=p.state,p.__v=n,m)E&&M.getDerivedStateFromProps==null&&p.componentWillMount!=null&&p.componentWillMount(),E&&p.componentDidMount!=null&&p.__h.push(p.componentDidMount);else{if(E&&M.getDerivedStateFromProps==null&&T!==g&&p.componentWillReceiveProps!=null&&p.componentWillReceiveProps(T,O),n.__v==r.__v||!p.__e&&p.shouldComponentUpdate!=null&&!1===p.shouldComponentUpdate(T,p.__s,O)){n.__v!=r.__v&&(p.props=T,p.state=p.__s,p.__d=!1),n.__e=r.__e,n.__k=r.__k,n.__k.some(function(e){e&&(e.__=n)}),h.push.apply(p.__h,p._sb),p._sb=[],p.__h.length&&s.push(p),c=w(r);break n}p.componentWillUpdate!=null&&p.componentWillUpdate(T,p.__s,O),E&&p.componentDidUpdate!=null&&p.__h.push(function(){p.componentDidUpdate(g,b,x)})}if(p.context=O,p.props=T,p.__P=e,p.__e=!1,k=t.__r,ne=0,E)p.state=p.__s,p.__d=!1,k&&k(n),d=p.render(p.props,p.state,p.context),h.push.apply(p.__h,p._sb),p._sb=[];else do p.__d=!1,k&&k(n),d=p.render(p.props,p.state,p.context),p.state=p.__s;while(p.__d&&++ne<25);p.state=p.__s,p.getChildContext!=null&&(i=v(v({},i),p.getChildContext())),E&&!m&&p.getSnapshotBeforeUpdate!=null&&(x=p.getSnapshotBeforeUpdate(g,b)),A=d!=null&&d.type===S&&d.key==null?oe(d.props.children):d,c=te(e,_(A)?A:[A],n,r,i,a,o,s,c,l,u),p.base=n.__e,n.__u&=-161,p.__h.length&&s.push(p),ee&&(p.__E=p.__=null)}catch(e){if(s.length=f,n.__v=null,l||o!=null){if(e.then){for(n.__u|=l?160:128;c&&c.nodeType==8&&c.nextSibling;)c=c.nextSibling;o!=null&&(o[o.indexOf(c)]=null),n.__e=c}else if(o!=null)for(j=o.length;j--;)y(o[j])}else n.__e=r.__e;n.__k??=r.__k||[],e.then||ie(n),t.__e(e,n,r)}}else o==null&&n.__v==r.__v?(n.__k=r.__k,n.__e=r.__e):c=n.__e=se(r.__e,n,r,i,a,o,s,l,u);return(d=t.diffed)&&d(n),128&n.__u?void 0:c}function ie(e){e&&(e.__c&&(e.__c.__e=!0),e.__k&&e.__k.some(ie))}function ae(e,n,r){for(var i=0;i<r.length;i++)ce(r[i],r[++i],r[++i]);t.__c&&t.__c(n,e),e.some(function(n){try{e=n.__h,n.__h=[],e.some(function(e){e.call(n)})}catch(e){t.__e(e,n.__v)}})}function oe(e){return typeof e!=`object`||!e||e.__b>0?e:_(e)?e.map(oe):e.constructor===void 0?v({},e):null}function se(n,r,i,a,o,s,c,l,u){var d,f,p,h,g,v,b,x=i.props||m,S=r.props,C=r.type;if(C==`svg`?o=`http://www.w3.org/2000/svg`:C==`math`?o=`http://www.w3.org/1998/Math/MathML`:o||=`http://www.w3.org/1999/xhtml`,s!=null){for(d=0;d<s.length;d++)if((g=s[d])&&`setAttribute`in g==!!C&&(C?g.localName==C:g.nodeType==3)){n=g,s[d]=null;break}}if(n==null){if(C==null)return document.createTextNode(S);n=document.createElementNS(o,C,S.is&&S),l&&=(t.__m&&t.__m(r,s),!1),s=null}if(C==null)x===S||l&&n.data==S||(n.data=S);else{if(s=C==`textarea`&&S.defaultValue!=null?null:s&&e.call(n.childNodes),!l&&s!=null)for(x={},d=0;d<n.attributes.length;d++)x[(g=n.attributes[d]).name]=g.value;for(d in x)g=x[d],d==`dangerouslySetInnerHTML`?p=g:d==`children`||d in S||d==`value`&&`defaultValue`in S||d==`checked`&&`defaultChecked`in S||j(n,d,null,g,o);for(d in S)g=S[d],d==`children`?h=g:d==`dangerouslySetInnerHTML`?f=g:d==`value`?v=g:d==`checked`?b=g:l&&typeof g!=`function`||x[d]===g||j(n,d,g,x[d],o);if(f)l||p&&(f.__html==p.__html||f.__html==n.innerHTML)||(n.innerHTML=f.__html),r.__k=[];else if(p&&(n.innerHTML=``),te(r.type==`template`?n.content:n,_(h)?h:[h],r,i,a,C==`foreignObject`?`http://www.w3.org/1999/xhtml`:o,s,c,s?s[0]:i.__k&&w(i,0),l,u),s!=null)for(d=s.length;d--;)y(s[d]);l&&C!=`textarea`||(d=`value`,C==`progress`&&v==null?n.removeAttribute(`value`):v!=null&&(v!==n[d]||C==`progress`&&!v||C==`option`&&v!=x[d])&&j(n,d,v,x[d],o),d=`checked`,b!=null&&b!=n[d]&&j(n,d,b,x[d],o))}return n}function ce(e,n,r){try{if(typeof e==`function`){var i=typeof e.__u==`function`;i&&e.__u(),i&&n==null||(e.__u=e(n))}else e.current=n}catch(e){t.__e(e,r)}}function le(e,n,r){var i,a;if(t.unmount&&t.unmount(e),(i=e.ref)&&(i.current&&i.current!=e.__e||ce(i,null,n)),(i=e.__c)!=null){if(i.componentWillUnmount)try{i.componentWillUnmount()}catch(e){t.__e(e,n)}i.base=i.__P=i.__n=null}if(i=e.__k)for(a=0;a<i.length;a++)i[a]&&le(i[a],n,r||typeof e.type!=`function`);r||y(e.__e),e.__c=e.__=e.__e=void 0}function ue(e,t,n){return this.constructor(e,n)}function de(n,r,i){var a,o,s,c;r==document&&(r=document.documentElement),t.__&&t.__(n,r),o=(a=typeof i==`function`)?null:i&&i.__k||r.__k,s=[],c=[],re(r,n=(!a&&i||r).__k=b(S,null,[n]),o||m,m,r.namespaceURI,!a&&i?[i]:o?null:r.firstChild?e.call(r.childNodes):null,s,!a&&i?i:o?o.__e:r.firstChild,a,c),ae(s,n,c),n.props.children=null}e=h.slice,t={__e:function(e,t,n,r){for(var i,a,o;t=t.__;)if((i=t.__c)&&!i.__)try{if((a=i.constructor)&&a.getDerivedStateFromError!=null&&(i.setState(a.getDerivedStateFromError(e)),o=i.__d),i.componentDidCatch!=null&&(i.componentDidCatch(e,r||{}),o=i.__d),o)return i.__E=i}catch(t){e=t}throw e}},n=0,C.prototype.setState=function(e,t){var n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=v({},this.state);typeof e==`function`&&(e=e(v({},n),this.props)),e&&v(n,e),e!=null&&this.__v&&(t&&this._sb.push(t),E(this))},C.prototype.forceUpdate=function(e){this.__v&&(this.__e=!0,e&&this.__h.push(e),E(this))},C.prototype.render=S,r=[],a=typeof Promise==`function`?Promise.prototype.then.bind(Promise.resolve()):setTimeout,o=function(e,t){return e.__v.__b-t.__v.__b},D.__r=0,s=Math.random().toString(8),c=`__d`+s,l=`__a`+s,u=/(PointerCapture)$|Capture$/i,d=0,f=M(!1),p=M(!0);var N,P,fe,pe,F=0,me=[],I=t,he=I.__b,ge=I.__r,_e=I.diffed,ve=I.__c,ye=I.unmount,be=I.__;function L(e,t){I.__h&&I.__h(P,e,F||t),F=0;var n=P.__H||(P.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function R(e){return F=1,xe(ke,e)}function xe(e,t,n){var r=L(N++,2);if(r.t=e,!r.__c&&(r.__=[n?n(t):ke(void 0,t),function(e){var t=r.__N?r.__N[0]:r.__[0],n=r.t(t,e);t!==n&&(r.__N=[n,r.__[1]],r.__c.setState({}))}],r.__c=P,!P.__f)){var i=function(e,t,n){if(!r.__c.__H)return!0;var i=!1,o=r.__c.props!==e;if(r.__c.__H.__.some(function(e){if(e.__N){i=!0;var t=e.__[0];e.__=e.__N,e.__N=void 0,t!==e.__[0]&&(o=!0)}}),a){var s=a.call(this,e,t,n);return i?s||o:s}return!i||o};P.__f=!0;var a=P.shouldComponentUpdate,o=P.componentWillUpdate;P.componentWillUpdate=function(e,t,n){if(this.__e){var r=a;a=void 0,i(e,t,n),a=r}o&&o.call(this,e,t,n)},P.shouldComponentUpdate=i}return r.__N||r.__}function z(e,t){var n=L(N++,3);!I.__s&&Oe(n.__H,t)&&(n.__=e,n.u=t,P.__H.__h.push(n))}function Se(e,t){var n=L(N++,4);!I.__s&&Oe(n.__H,t)&&(n.__=e,n.u=t,P.__h.push(n))}function B(e){return F=5,Ce(function(){return{current:e}},[])}function Ce(e,t){var n=L(N++,7);return Oe(n.__H,t)&&(n.__=e(),n.__H=t,n.__h=e),n.__}function we(){for(var e;e=me.shift();){var t=e.__H;if(e.__P&&t)try{t.__h.some(V),t.__h.some(De),t.__h=[]}catch(n){t.__h=[],I.__e(n,e.__v)}}}I.__b=function(e){P=null,he&&he(e)},I.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),be&&be(e,t)},I.__r=function(e){ge&&ge(e),N=0;var t=(P=e.__c).__H;t&&(fe===P?(t.__h=[],P.__h=[],t.__.some(function(e){e.__N&&(e.__=e.__N),e.u=e.__N=void 0})):(t.__h.some(V),t.__h.some(De),t.__h=[],N=0)),fe=P},I.diffed=function(e){_e&&_e(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&(me.push(t)!==1&&pe===I.requestAnimationFrame||((pe=I.requestAnimationFrame)||Ee)(we)),t.__H.__.some(function(e){e.u&&=(e.__H=e.u,void 0)})),fe=P=null},I.__c=function(e,t){t.some(function(e){try{e.__h.some(V),e.__h=e.__h.filter(function(e){return!e.__||De(e)})}catch(n){t.some(function(e){e.__h&&=[]}),t=[],I.__e(n,e.__v)}}),ve&&ve(e,t)},I.unmount=function(e){ye&&ye(e);var t,n=e.__c;n&&n.__H&&(n.__H.__.some(function(e){try{V(e)}catch(e){t=e}}),n.__H=void 0,t&&I.__e(t,n.__v))};var Te=typeof requestAnimationFrame==`function`;function Ee(e){var t,n=function(){clearTimeout(r),Te&&cancelAnimationFrame(t),setTimeout(e)},r=setTimeout(n,35);Te&&(t=requestAnimationFrame(n))}function V(e){var t=P,n=e.__c;typeof n==`function`&&(e.__c=void 0,n()),P=t}function De(e){var t=P;e.__c=e.__(),P=t}function Oe(e,t){return!e||e.length!==t.length||t.some(function(t,n){return t!==e[n]})}function ke(e,t){return typeof t==`function`?t(e):t}var Ae=function(e,t,n,r){var i;t[0]=0;for(var a=1;a<t.length;a++){var o=t[a++],s=t[a]?(t[0]|=o?1:2,n[t[a++]]):t[++a];o===3?r[0]=s:o===4?r[1]=Object.assign(r[1]||{},s):o===5?(r[1]=r[1]||{})[t[++a]]=s:o===6?r[1][t[++a]]+=s+``:o?(i=e.apply(s,Ae(e,s,n,[``,null])),r.push(i),s[0]?t[0]|=2:(t[a-2]=0,t[a]=i)):r.push(s)}return r},je=new Map;function Me(e){var t=je.get(this);return t||(t=new Map,je.set(this,t)),(t=Ae(this,t.get(e)||(t.set(e,t=function(e){for(var t,n,r=1,i=``,a=``,o=[0],s=function(e){r===1&&(e||(i=i.replace(/^\s*\n\s*|\s*\n\s*$/g,``)))?o.push(0,e,i):r===3&&(e||i)?(o.push(3,e,i),r=2):r===2&&i===`...`&&e?o.push(4,e,0):r===2&&i&&!e?o.push(5,0,!0,i):r>=5&&((i||!e&&r===5)&&(o.push(r,0,i,n),r=6),e&&(o.push(r,e,0,n),r=6)),i=``},c=0;c<e.length;c++){c&&(r===1&&s(),s(c));for(var l=0;l<e[c].length;l++)t=e[c][l],r===1?t===`<`?(s(),o=[o],r=3):i+=t:r===4?i===`--`&&t===`>`?(r=1,i=``):i=t+i[0]:a?t===a?a=``:i+=t:t===`"`||t===`'`?a=t:t===`>`?(s(),r=1):r&&(t===`=`?(r=5,n=i,i=``):t===`/`&&(r<5||e[c][l+1]===`>`)?(s(),r===3&&(o=o[0]),r=o,(o=o[0]).push(2,0,r),r=0):t===` `||t===`	`||t===`
`||t===`\r`?(s(),r=2):i+=t),r===3&&i===`!--`&&(r=4,o=o[0])}return s(),o}(e)),t),arguments,[])).length>1?t:t[0]}var Ne=new TextEncoder;async function H(e){return new Uint8Array(await crypto.subtle.digest(`SHA-256`,e))}function U(...e){let t=e.reduce((e,t)=>e+t.length,0),n=new Uint8Array(t),r=0;for(let t of e)n.set(t,r),r+=t.length;return n}function W(e){return Array.from(e,e=>e.toString(16).padStart(2,`0`)).join(``)}function Pe(e){if(!/^([0-9a-f]{2})*$/i.test(e))throw Error(`not hex: ${e.slice(0,16)}`);let t=new Uint8Array(e.length/2);for(let n=0;n<t.length;n++)t[n]=parseInt(e.slice(2*n,2*n+2),16);return t}function Fe(e){let t=atob(e);return Uint8Array.from(t,e=>e.charCodeAt(0))}function Ie(e){return Array.isArray(e)?`[${e.map(Ie).join(`,`)}]`:e&&typeof e==`object`?`{${Object.keys(e).sort().map(t=>`${JSON.stringify(t)}:${Ie(e[t])}`).join(`,`)}}`:JSON.stringify(e)}async function Le(e){let t=W(await H(Ne.encode(Ie(e.details)))),n={kind:`signet-custody`,apiVersion:`0.0.1`,spec:{id:e.id,time_ms:e.time_ms,actor:e.actor,action:e.action,repository:e.repository,subject:e.subject,outcome:e.outcome,details_sha256:t}};return Ne.encode(JSON.stringify(n))}async function Re(e){return H(U(Uint8Array.of(0),e))}async function ze(e,t){return H(U(Uint8Array.of(1),e,t))}async function Be(e,t,n,r){if(!(e<t))throw Error(`index ${e} is outside a tree of ${t}`);let i=e,a=t-1,o=n;for(let e of r){if(a===0)throw Error(`the proof is longer than the tree allows`);if(i%2==1||i===a){if(o=await ze(e,o),i%2==0)for(;i%2==0&&i!==0;)i=Math.floor(i/2),a=Math.floor(a/2)}else o=await ze(o,e);i=Math.floor(i/2),a=Math.floor(a/2)}if(a!==0)throw Error(`the proof is shorter than the tree needs`);return o}function Ve(e){let t=e.indexOf(`

`);if(t<0)throw Error(`the checkpoint has no signature block`);let n=e.slice(0,t+1),[r,i,a]=n.split(`
`);if(!/^\d+$/.test(i))throw Error(`the checkpoint size is not a number`);let o=e.slice(t+2).split(`
`).filter(e=>e.startsWith(`— `)).map(e=>{let[,t,n]=e.split(` `),r=Fe(n);return{name:t,keyId:r.slice(0,4),sig:r.slice(4)}});return{text:n,origin:r,size:Number(i),root:Fe(a),sigs:o}}function He(e){return Fe(e.replace(/-----[^-]+-----/g,``).replace(/\s+/g,``))}function Ue(e,t=32){let n=0,r=t=>{if(e[n++]!==t)throw Error(`malformed ECDSA signature`)},i=()=>{let t=e[n++];if(t&128){let r=t&127;for(t=0;r--;)t=t<<8|e[n++]}return t};r(48),i();let a=[];for(let o=0;o<2;o++){r(2);let o=i(),s=e.slice(n,n+o);for(n+=o;s.length>t&&s[0]===0;)s=s.slice(1);if(s.length>t)throw Error(`malformed ECDSA signature`);a.push(U(new Uint8Array(t-s.length),s))}return U(a[0],a[1])}async function We(e,t){let n=He(t),r=(await H(n)).slice(0,4),i=await crypto.subtle.importKey(`spki`,n,{name:`ECDSA`,namedCurve:`P-256`},!1,[`verify`]);for(let t of e.sigs)if(W(t.keyId)===W(r)&&await crypto.subtle.verify({name:`ECDSA`,hash:`SHA-256`},i,Ue(t.sig),Ne.encode(e.text)))return!0;return!1}async function Ge(e,t){let n=Ve(e.checkpoint),r=await We(n,t),i=[];for(let t of e.events)if(!t.log_entry)i.push({id:t.id,ok:null,detail:`not in the log yet`});else try{let e=await Re(await Le(t)),r=t.log_entry.inclusion_proof.map(Pe),a=W(await Be(t.log_entry.index,n.size,e,r))===W(n.root);i.push({id:t.id,ok:a,detail:a?`entry ${t.log_entry.index} is in the tree of ${n.size}`:`entry ${t.log_entry.index} does not lead to the checkpoint root: the record was altered`})}catch(e){i.push({id:t.id,ok:!1,detail:String(e.message||e)})}return{signed:r,origin:n.origin,size:n.size,results:i}}var G=Me.bind(b),K=`signet.token`,Ke=class extends Error{constructor(e,t,n){super(t),this.status=e,this.detail=n}},qe=()=>{};async function q(e,{method:t=`GET`,body:n,json:r,raw:i}={}){let a={Authorization:`Bearer ${sessionStorage.getItem(K)||``}`};r===void 0?n!==void 0&&(a[`Content-Type`]=`text/plain`):(a[`Content-Type`]=`application/json`,n=JSON.stringify(r));let o=await fetch(e,{method:t,headers:a,body:n,credentials:`omit`,cache:`no-store`});if(o.status===401&&qe(),!o.ok){let e=`${o.status} ${o.statusText}`,t;try{let n=(await o.json()).errors?.[0];n&&(e=n.message,t=n.detail)}catch{}throw new Ke(o.status,e,t)}return i?o.text():o.status===204?null:o.json()}var J=encodeURIComponent,Y=e=>e.split(`/`).map(J).join(`/`);function X(e,t=!1){return e?new Date(t?e:e*1e3).toISOString().replace(`T`,` `).replace(/\.\d+Z$/,`Z`):``}function Z(e){if(e==null)return``;let t=[`B`,`KiB`,`MiB`,`GiB`,`TiB`],n=0,r=e;for(;r>=1024&&n<t.length-1;)r/=1024,n++;return n===0?`${e} B`:`${r.toFixed(1)} ${t[n]}`}var Je=e=>e?e.replace(/^sha256:/,``).slice(0,12):``;function Ye(){let[e,t]=R(location.hash||`#/`);return z(()=>{let e=()=>t(location.hash||`#/`);return addEventListener(`hashchange`,e),()=>removeEventListener(`hashchange`,e)},[]),e}function Xe(e){let[t,n=``]=e.replace(/^#/,``).split(`?`);return{parts:t.split(`/`).filter(Boolean).map(decodeURIComponent),params:new URLSearchParams(n)}}function Q(e,t){let[n,r]=R({loading:!0});return z(()=>{let t=!0;return r(e=>({...e,loading:!0})),e().then(e=>t&&r({data:e}),e=>t&&r({error:e})),()=>{t=!1}},t),n}var $=({error:e})=>G`<p class="error" role="alert">${e.message}</p>`,Ze=({status:e})=>G`<span class=${`badge ${e}`} data-status=${e}>${e}</span>`;function Qe({onSignedIn:e}){let[t,n]=R(null),[r,i]=R(!1),a=B();return z(()=>a.current?.focus(),[]),G`<main class="signin">
    <h1>Signet</h1>
    <form onSubmit=${async t=>{t.preventDefault();let r=a.current.value.trim();i(!0),n(null);try{let t=await fetch(`/api/v1/whoami`,{headers:{Authorization:`Bearer ${r}`},credentials:`omit`}),n=t.ok?await t.json():null;if(!n||!n.user)throw Error(`That token was not accepted (unknown, revoked or expired).`);sessionStorage.setItem(K,r),a.current.value=``,e(n)}catch(e){n(e)}finally{i(!1)}}} aria-label="Sign in">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false"
        placeholder="sgn_…" ref=${a} required />
      <p class="hint">Create one with <code>signet registry token create</code>, or use the admin token in
        <code>&lt;data-dir&gt;/admin-token</code>. It stays in this browser tab only.</p>
      <button type="submit" disabled=${r}>Sign in</button>
      ${t&&G`<${$} error=${t} />`}
    </form>
  </main>`}function $e(){let e=Q(()=>q(`/api/v1/repositories?n=1000`),[]);if(e.error)return G`<${$} error=${e.error} />`;if(!e.data)return G`<p aria-busy="true">Loading…</p>`;let t=e.data.repositories;return G`<section>
    <h1>Repositories</h1>
    ${t.length===0?G`<p>No repositories yet: push an image or upload a file.</p>`:G`<table class="grid" id="repositories">
          <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Anonymous read</th><th scope="col">Created</th></tr></thead>
          <tbody>
            ${t.map(e=>G`<tr key=${e.name}>
                <td><a href=${`#/repo/${Y(e.name)}`}>${e.name}</a></td>
                <td>${e.type}</td>
                <td>${e.anonymous_read?`yes`:`no`}</td>
                <td>${X(e.created)}</td>
              </tr>`)}
          </tbody>
        </table>`}
  </section>`}var et=[[`name`,`Name / tag`,!0],[`digest`,`Digest`,!0],[`size`,`Size`,!0],[`pushed`,`Pushed`,!0],[`status`,`Status`,!1],[`signer`,`Signer`,!1],[`attestations`,`Attestations`,!1],[`policy`,`Policy`,!1]];function tt({repo:e,params:t}){let n=t.get(`q`)||``,r=t.get(`sort`)||`pushed`,i=t.get(`order`)||(r===`pushed`?`desc`:`asc`),a=Math.max(0,Number(t.get(`page`)||0)),[o,s]=R(n),[c,l]=R({}),u=B(),d=B(0),f=t=>{let o=new URLSearchParams({q:n,sort:r,order:i,page:String(a),...t});for(let[e,t]of[...o])(t===``||e===`page`&&t===`0`)&&o.delete(e);location.hash=`#/repo/${Y(e)}${o.toString()?`?${o}`:``}`};z(()=>s(n),[n]),z(()=>{let t=!0,o=`/api/v1/repositories/${Y(e)}/artifacts?q=${J(n)}&sort=${r}&order=${i}&offset=${a*50}&limit=50`,s=performance.now();return q(o).then(e=>{t&&(d.current=performance.now(),l({data:e,apiMs:d.current-s}))},e=>t&&l({error:e})),()=>{t=!1}},[e,n,r,i,a]),Se(()=>{if(!c.data||!u.current)return;let e=u.current,t=d.current;requestAnimationFrame(()=>setTimeout(()=>{let n=performance.now()-t;e.dataset.renderMs=n.toFixed(1),e.dataset.apiMs=c.apiMs.toFixed(1),e.dataset.rendered=`true`,e.dataset.seq=String(Number(e.dataset.seq||0)+1)},0))},[c.data]),z(()=>{let e=setTimeout(()=>o!==n&&f({q:o,page:`0`}),250);return()=>clearTimeout(e)},[o]);let p=c.data,m=p?Math.max(1,Math.ceil(p.total/50)):1,h=([e,t,n])=>{let a=r===e;return G`<th scope="col" aria-sort=${n?a?i===`asc`?`ascending`:`descending`:`none`:void 0}>
      ${n?G`<button class="sort" data-sort=${e}
            onClick=${()=>f({sort:e,order:a&&i===`asc`?`desc`:`asc`,page:`0`})}>
            ${t}${a?i===`asc`?` ▲`:` ▼`:``}</button>`:t}
    </th>`},g=t=>p.type===`oci`?`#/artifact/${Y(e)}/${t.digest}`:`#/file/${Y(e)}/${t.name.split(`/`).map(J).join(`/`)}`;return G`<section>
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Repositories</a> / <span>${e}</span></nav>
    <h1>${e}</h1>
    <div class="toolbar">
      <label for="search">Search</label>
      <input id="search" type="search" value=${o} placeholder="tag, path or digest"
        onInput=${e=>s(e.target.value)} />
      ${p&&G`<span class="count" id="total">${p.total} artifact${p.total===1?``:`s`}</span>`}
    </div>
    ${c.error&&G`<${$} error=${c.error} />`}
    ${p&&G`<table class="grid artifacts" id="artifacts" ref=${u}>
        <thead><tr>${et.map(h)}</tr></thead>
        <tbody>
          ${p.artifacts.map(e=>G`<tr key=${e.digest+e.name} data-status=${e.status}>
              <td><a href=${g(e)}>${e.name||(e.status===`quarantined`?`(held)`:`(untagged)`)}</a></td>
              <td><code title=${e.digest}>${Je(e.digest)}</code></td>
              <td class="num">${Z(e.size)}</td>
              <td>${X(e.pushed_at)}</td>
              <td><${Ze} status=${e.status} /></td>
              <td>${e.signers.join(`, `)}</td>
              <td>${e.attestations.map(e=>G`<span class="chip" title=${e}>${e.replace(/^https?:\/\//,``)}</span>`)}</td>
              <td title=${e.reasons.join(`
`)}>${e.policy}</td>
            </tr>`)}
        </tbody>
      </table>
      <div class="pager" role="navigation" aria-label="Pages">
        <button id="prev" disabled=${a===0} onClick=${()=>f({page:String(a-1)})}>Previous</button>
        <span id="page">Page ${a+1} of ${m}</span>
        <button id="next" disabled=${a+1>=m} onClick=${()=>f({page:String(a+1)})}>Next</button>
      </div>`}
  </section>`}function nt(e,t,n){let r=e=>e.signer.type===`key`?n.get(e.signer.key_id)||e.signer.key_id:e.signer.identity,i=e.details||{},a=[];return i.signature_manifest||i.tag||i.signature_file?a=t.filter(e=>i.tag&&e.source.includes(i.tag)||i.signature_manifest&&e.source.includes(i.signature_manifest)||i.signature_file&&e.source===`file ${i.signature_file}`):Array.isArray(i.evidence)&&(a=i.evidence),[...new Set(a.map(r))].join(`, `)}function rt(){let e=Q(()=>q(`/api/v1/signing/keys`),[]);return new Map((e.data?.keys||[]).map(e=>[e.id,e.name]))}function it({repo:e,subject:t,evidence:n=[]}){let r=rt(),i=t.startsWith(`sha256:`)?`/api/v1/artifacts/${Y(e)}/${t}/custody`:`/api/v1/artifacts/${Y(e)}/files/${t.split(`/`).map(J).join(`/`)}/custody`,a=Q(()=>q(i),[i]),[o,s]=R(null),c=async()=>{s({busy:!0});try{let e=await q(`/api/v1/log/publicKey`,{raw:!0});s(await Ge(a.data,e))}catch(e){s({error:e})}};if(a.error)return G`<${$} error=${a.error} />`;if(!a.data)return G`<p aria-busy="true">Loading the custody record…</p>`;let l=new Map((o?.results||[]).map(e=>[e.id,e])),u=o?.results?.filter(e=>e.ok===!0).length??0,d=o?.results?.filter(e=>e.ok===!1).length??0;return G`<section aria-labelledby="custody-h">
    <h2 id="custody-h">Chain of custody</h2>
    <button id="verify-proofs" onClick=${c} disabled=${o?.busy}>Verify inclusion proofs in this browser</button>
    ${o&&!o.busy&&G`<p id="proof-result" role="status"
        class=${o.error||d||!o.signed?`error`:`ok`}
        data-ok=${String(!o.error&&!d&&o.signed&&u>0)}>
        ${o.error?`Could not verify: ${o.error.message}`:`${o.signed?`Checkpoint signed by the log key`:`Checkpoint NOT signed by the log key`} (${o.origin}, tree size ${o.size}); ${u} event${u===1?``:`s`} proven, ${d} failed.`}
      </p>`}
    <ol class="timeline" id="timeline">
      ${a.data.events.map(e=>{let t=l.get(e.id),i=nt(e,n,r);return G`<li key=${e.id} class=${t?t.ok?`proven`:t.ok===!1?`broken`:``:``}>
          <div class="when">${X(e.time_ms,!0)}</div>
          <div class="what"><strong>${e.action}</strong> · ${e.outcome}</div>
          <div class="who">by ${e.actor}${i?G` · key <code class="key">${i}</code>`:``}</div>
          <div class="log">${e.log_entry?`log index ${e.log_entry.index}`:`not yet in the log`}</div>
          ${t&&G`<div class="proof" data-proof=${String(t.ok)}>${t.ok?`✓ `:t.ok===!1?`✗ `:``}${t.detail}</div>`}
        </li>`})}
    </ol>
  </section>`}function at(e,t){let n=t.startsWith(`sha256:`)?{repository:e,digest:t}:{repository:e,name:t};return Q(()=>q(`/api/v1/signing/evaluate`,{method:`POST`,json:{artifact:n}}),[e,t])}function ot({s:e}){if(e.error)return G`<${$} error=${e.error} />`;if(!e.data)return G`<p aria-busy="true">Verifying…</p>`;let t=e.data;return G`<section aria-labelledby="sigs-h">
    <h2 id="sigs-h">Signatures and attestations</h2>
    ${t.checks.length===0?G`<p>No signature or attestation found.</p>`:G`<table class="grid" id="checks">
          <thead><tr><th scope="col">Source</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
          <tbody>${t.checks.map((e,t)=>G`<tr key=${t}><td><code>${e.source}</code></td>
              <td><span class=${`badge ${e.ok?`signed`:`quarantined`}`}>${e.ok?`verified`:`failed`}</span></td>
              <td>${e.detail}</td></tr>`)}</tbody>
        </table>`}
    <h2 id="policy-h">Policy decision</h2>
    <p id="decision"><strong>${t.decision.outcome}</strong>${t.allowed?` (allowed)`:` (refused)`}</p>
    ${t.reasons.length>0&&G`<ul class="reasons">${t.reasons.map(e=>G`<li>${e}</li>`)}</ul>`}
    ${t.decision.policies.map(e=>G`<details key=${e.policy}><summary>${e.policy} (${e.mode}): ${e.satisfied?`met`:`not met`}</summary>
        <ul>${e.rules.map(e=>G`<li>${e.rule}: ${e.satisfied?`met`:`not met`}${e.required?``:` (optional)`}: ${e.reason}</li>`)}</ul>
      </details>`)}
  </section>`}function st({repo:e,digest:t}){let n=at(e,t),r=Q(()=>q(`/api/v1/repositories/${Y(e)}/artifacts/${t}`),[e,t]);if(r.error)return G`<${$} error=${r.error} />`;if(!r.data)return G`<p aria-busy="true">Loading…</p>`;let i=r.data.artifact,a=r.data.manifest,o=a?.layers||a?.manifests||[];return G`<section>
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Repositories</a> / <a href=${`#/repo/${Y(e)}`}>${e}</a> / <span>${Je(t)}</span></nav>
    <h1>${e}${i.tags?.length?`:${i.tags.join(`, `)}`:``}</h1>
    <dl class="facts">
      <dt>Digest</dt><dd><code id="digest">${t}</code></dd>
      <dt>Status</dt><dd><${Ze} status=${i.status} /></dd>
      <dt>Signed by</dt><dd>${i.signers?.join(`, `)||`—`}</dd>
      <dt>Attestations</dt><dd>${i.attestations?.join(`, `)||`—`}</dd>
      <dt>Size</dt><dd>${Z(i.size)}</dd>
      <dt>Pushed</dt><dd>${X(i.pushed_at)}${i.pushed_by?` by ${i.pushed_by}`:``}</dd>
    </dl>
    <h2>Manifest</h2>
    ${a?G`<table class="grid" id="layers">
            <thead><tr><th scope="col">${a.manifests?`Manifest`:`Layer`}</th><th scope="col">Media type</th><th scope="col">Size</th></tr></thead>
            <tbody>${o.map(e=>G`<tr key=${e.digest}><td><code title=${e.digest}>${Je(e.digest)}</code></td><td>${e.mediaType}</td><td class="num">${Z(e.size)}</td></tr>`)}</tbody>
          </table>
          <details><summary>Manifest JSON</summary><pre id="manifest">${JSON.stringify(a,null,2)}</pre></details>`:G`<p>${r.data.manifest_hidden}</p>`}
    <${ot} s=${n} />
    <${it} repo=${e} subject=${t} evidence=${n.data?.evidence} />
  </section>`}function ct({repo:e,path:t}){let n=at(e,t),r=Q(()=>q(`/api/v1/repositories/${Y(e)}/artifacts?q=${J(t)}&sort=name&limit=200`),[e,t]),i=r.data?.artifacts.find(e=>e.name===t);return G`<section>
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Repositories</a> / <a href=${`#/repo/${Y(e)}`}>${e}</a> / <span>${t}</span></nav>
    <h1>${t}</h1>
    ${r.error&&G`<${$} error=${r.error} />`}
    ${i&&G`<dl class="facts">
      <dt>Digest</dt><dd><code id="digest">${i.digest}</code></dd>
      <dt>Status</dt><dd><${Ze} status=${i.status} /></dd>
      <dt>Signed by</dt><dd>${i.signers.join(`, `)||`—`}</dd>
      <dt>Size</dt><dd>${Z(i.size)}</dd>
      <dt>Uploaded</dt><dd>${X(i.pushed_at)}</dd>
    </dl>`}
    <${ot} s=${n} />
    <${it} repo=${e} subject=${t} evidence=${n.data?.evidence} />
  </section>`}function lt(){let[e,t]=R(0),n=Q(()=>q(`/api/v1/signing/keys`),[e]),[r,i]=R(null),[a,o]=R(null),s=async n=>{n.preventDefault();let r=new FormData(n.target);i(null);try{let i=await q(`/api/v1/signing/keys`,{method:`POST`,json:{name:r.get(`name`),type:r.get(`type`),public_key:r.get(`public_key`),repositories:String(r.get(`repositories`)).split(`,`).map(e=>e.trim()).filter(Boolean)}});o(i),n.target.reset(),t(e+1)}catch(e){i(e)}},c=async n=>{try{await q(`/api/v1/signing/keys/${J(n)}/revoke`,{method:`POST`,json:{}}),t(e+1)}catch(e){i(e)}};return G`<section>
    <h1>Signing keys</h1>
    ${n.error&&G`<${$} error=${n.error} />`}
    ${n.data&&G`<table class="grid" id="keys">
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Fingerprint</th><th scope="col">Repositories</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col"></th></tr></thead>
      <tbody>${n.data.keys.map(e=>G`<tr key=${e.id}><td>${e.name}</td><td>${e.type}</td><td><code>${e.fingerprint}</code></td>
          <td>${(e.repositories||[]).join(`, `)}</td><td>${X(e.created_at)}</td><td>${X(e.expires_at)||`—`}</td>
          <td>${e.revoked_at?`revoked`:`active`}</td>
          <td>${!e.revoked_at&&G`<button class="small" onClick=${()=>c(e.id)}>Revoke</button>`}</td></tr>`)}</tbody>
    </table>`}
    <h2>Upload a verification key</h2>
    <form class="stack" onSubmit=${s} id="key-form">
      <label>Name <input name="name" required /></label>
      <label>Type <select name="type"><option>cosign</option><option>gpg</option><option>x509</option></select></label>
      <label>Public key (PEM, or armored OpenPGP) <textarea name="public_key" rows="6" required></textarea></label>
      <label>Repositories (globs, comma separated) <input name="repositories" placeholder="production/*" required /></label>
      <button type="submit">Upload</button>
      ${r&&G`<${$} error=${r} />`}
      ${a&&G`<p class="ok" role="status">Uploaded ${a.name} (${a.fingerprint}).</p>`}
    </form>
  </section>`}var ut=`name: require-signatures
description: Require signed artifacts for production
mode: enforce
repositories: ["production/*"]
rules:
  - name: require-cosign-signature
    artifact_types: [docker, oci]
    signature_type: cosign
    required: true
    trusted_keys: [release-key]
`;function dt({initial:e,onSaved:t,existing:n}){let[r,i]=R(e),[a,o]=R([]),[s,c]=R(null),[l,u]=R(null);z(()=>{i(e),o([])},[e]),z(()=>{let e=setTimeout(async()=>{try{let e=await q(`/api/v1/signing/policies/lint`,{method:`POST`,body:r});o(e.problems)}catch(e){c(e)}},300);return()=>clearTimeout(e)},[r]);let d=async e=>{e.preventDefault(),c(null),u(null);try{let e=/^name:\s*(\S+)/m.exec(r)?.[1],i=n?await q(`/api/v1/signing/policies/${J(n)}`,{method:`PUT`,body:r}):await q(`/api/v1/signing/policies`,{method:`POST`,body:r});u(i),t(i.name||e)}catch(e){c(e),e.detail?.problems&&o(e.detail.problems)}},f=new Set(a.map(e=>e.line)),p=r.split(`
`);return G`<form onSubmit=${d} id="policy-form" class="editor">
    <div class="code">
      <ol class="gutter" aria-hidden="true">${p.map((e,t)=>G`<li class=${f.has(t+1)?`bad`:``}>${t+1}</li>`)}</ol>
      <textarea id="policy-text" aria-label="Policy YAML" spellcheck="false" rows=${Math.max(12,p.length+1)}
        value=${r} onInput=${e=>i(e.target.value)}
        aria-invalid=${a.length>0?`true`:`false`} aria-describedby="policy-problems"></textarea>
    </div>
    <ul id="policy-problems" class="problems" aria-live="polite">
      ${a.map(e=>G`<li class="problem" data-line=${e.line}>${e.line>0?`line ${e.line}: `:``}${e.message}</li>`)}
    </ul>
    <button type="submit">${n?`Save ${n}`:`Create policy`}</button>
    ${s&&G`<${$} error=${s} />`}
    ${l&&G`<p class="ok" role="status" id="policy-saved">Saved ${l.name}, version ${l.version}.</p>`}
  </form>`}function ft({params:e}){let[t,n]=R(0),r=Q(()=>q(`/api/v1/signing/policies`),[t]),i=e.get(`edit`),a=Q(()=>i?q(`/api/v1/signing/policies/${J(i)}`):Promise.resolve(null),[i,t]);return G`<section>
    <h1>Signing policies</h1>
    ${r.error&&G`<${$} error=${r.error} />`}
    ${r.data&&G`<table class="grid" id="policies">
      <thead><tr><th scope="col">Name</th><th scope="col">Mode</th><th scope="col">Repositories</th><th scope="col">Version</th><th scope="col">Updated</th></tr></thead>
      <tbody>${r.data.policies.map(e=>G`<tr key=${e.name}><td><a href=${`#/policies?edit=${J(e.name)}`}>${e.name}</a></td><td>${e.mode}</td>
          <td>${(e.repositories||[]).join(`, `)}</td><td>${e.version}</td><td>${X(e.updated_at)} by ${e.updated_by}</td></tr>`)}</tbody>
    </table>`}
    <h2>${i?`Edit ${i}`:`New policy`}</h2>
    ${i&&!a.data?G`<p aria-busy="true">Loading…</p>`:G`<${dt} initial=${a.data?.document||ut} existing=${i}
          onSaved=${()=>n(t+1)} />`}
  </section>`}function pt({params:e}){let t=Object.fromEntries(e),n=new URLSearchParams(Object.entries(t).filter(([,e])=>e)).toString(),r=Q(()=>q(`/api/v1/audit?${n}`),[n]);return G`<section>
    <h1>Audit trail</h1>
    <form class="toolbar" onSubmit=${e=>{e.preventDefault();let t=new URLSearchParams([...new FormData(e.target)].filter(([,e])=>e));location.hash=`#/audit?${t}`}} id="audit-form">
      <label>Repository <input name="repository" value=${t.repository||``} /></label>
      <label>Subject <input name="subject" value=${t.subject||``} /></label>
      <label>Action <input name="action" value=${t.action||``} placeholder="policy.decision" /></label>
      <button type="submit">Search</button>
    </form>
    ${r.error&&G`<${$} error=${r.error} />`}
    ${r.data&&G`<table class="grid" id="audit">
      <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Repository</th><th scope="col">Subject</th><th scope="col">Outcome</th><th scope="col">Log index</th></tr></thead>
      <tbody>${(r.data.events||[]).map(e=>G`<tr key=${e.id}><td>${X(e.time_ms,!0)}</td><td>${e.actor}</td><td>${e.action}</td>
          <td>${e.repository}</td><td><code>${e.subject}</code></td><td>${e.outcome}</td><td>${e.log_index??`—`}</td></tr>`)}</tbody>
    </table>`}
  </section>`}function mt(){let[e,t]=R(localStorage.getItem(`signet.theme`)||`auto`);return z(()=>{document.documentElement.dataset.theme=e,localStorage.setItem(`signet.theme`,e)},[e]),G`<label class="theme">Theme
    <select value=${e} onChange=${e=>t(e.target.value)}>
      <option value="auto">System</option><option value="light">Light</option><option value="dark">Dark</option>
    </select></label>`}function ht(){let e=Ye(),[t,n]=R(null),[r,i]=R(!!sessionStorage.getItem(K)),a=B();if(qe=()=>{sessionStorage.removeItem(K),i(!1)},z(()=>{r&&!t&&q(`/api/v1/whoami`).then(n,()=>{})},[r]),z(()=>a.current?.focus(),[e]),!r)return G`<${Qe} onSignedIn=${e=>{n(e),i(!0)}} />`;let{parts:o,params:s}=Xe(e),c;if(o[0]===`repo`)c=G`<${tt} repo=${o.slice(1).join(`/`)} params=${s} />`;else if(o[0]===`artifact`){let e=o[o.length-1];c=G`<${st} repo=${o.slice(1,-1).join(`/`)} digest=${e} />`}else c=o[0]===`file`?G`<${gt} parts=${o.slice(1)} />`:o[0]===`keys`?G`<${lt} />`:o[0]===`policies`?G`<${ft} params=${s} />`:o[0]===`audit`?G`<${pt} params=${s} />`:G`<${$e} />`;let l=(e,t,n)=>G`<a href=${e} aria-current=${o[0]===n||!o[0]&&n===`home`?`page`:void 0}>${t}</a>`;return G`<div class="shell">
    <a class="skip" href="#main" onClick=${e=>{e.preventDefault(),a.current?.focus()}}>Skip to content</a>
    <header>
      <span class="brand">Signet</span>
      <nav aria-label="Main">
        ${l(`#/`,`Repositories`,`home`)} ${l(`#/keys`,`Keys`,`keys`)}
        ${l(`#/policies`,`Policies`,`policies`)} ${l(`#/audit`,`Audit`,`audit`)}
      </nav>
      <span class="spacer"></span>
      <${mt} />
      <span class="user" id="user">${t?.user||``}</span>
      <button id="signout" onClick=${()=>{sessionStorage.removeItem(K),n(null),i(!1),location.hash=`#/`}}>Sign out</button>
    </header>
    <main id="main" tabindex="-1" ref=${a}>${c}</main>
  </div>`}function gt({parts:e}){let t=Q(()=>q(`/api/v1/repositories?n=1000`),[]);if(!t.data)return G`<p aria-busy="true">Loading…</p>`;let n=new Set(t.data.repositories.map(e=>e.name));for(let t=e.length-1;t>0;t--){let r=e.slice(0,t).join(`/`);if(n.has(r))return G`<${ct} repo=${r} path=${e.slice(t).join(`/`)} />`}return G`<p class="error">No such repository.</p>`}de(G`<${ht} />`,document.getElementById(`app`));