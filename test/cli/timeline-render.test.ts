/**
 * The timeline page without a browser: its inline scripts are valid JavaScript, and text from the
 * logs cannot break out of the page (a record is data, never markup or script).
 */
import assert from 'node:assert/strict'
import {it} from 'node:test'

import {buildTimeline} from '../../src/cli/timeline/model.js'
import {TIMELINE_SCRIPT} from '../../src/cli/timeline/page-script.js'
import {renderTimelinePage} from '../../src/cli/timeline/render.js'
import {renderUiPage} from '../../src/cli/ui/page.js'
import {at, roleChange} from '../helpers/vote-log-records.js'

it('inlines scripts that parse as JavaScript', () => {
  assert.doesNotThrow(() => new Function(TIMELINE_SCRIPT))
  for (const html of [renderTimelinePage(buildTimeline({title: 't', clock: 'wall', records: []})), renderUiPage('ui', '127.0.0.1:7070')]) {
    for (const [, body] of html.matchAll(/<script>([\s\S]*?)<\/script>/g)) assert.doesNotThrow(() => new Function(body))
  }
})

it('keeps text from the logs inside the data: no </script> or tag escapes the JSON', () => {
  const evil = '</script><img src=x onerror=alert(1)>'
  const model = buildTimeline({title: `<b>${evil}`, clock: 'wall', records: [roleChange('n0', 0, 1, 'CANDIDATE', 'LEADER', evil)], endMs: Date.parse(at(100))})
  const html = renderTimelinePage(model)
  assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the data and the drawing script end')
  assert.doesNotMatch(html, /<img/)
  const data = /<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? ''
  assert.equal(JSON.parse(data).bands.find((b: {role: string}) => b.role === 'LEADER').reason, evil)
})
