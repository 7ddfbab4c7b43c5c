// Uploads one file with Tencent's official COS SDK (cos-nodejs-sdk-v5),
// sliceUploadFile, through the VOD emulator; for t/105-emulator-sdk.t.
//
//   node sdk-upload.js '<json>'
//
// json: emulator ("127.0.0.1:PORT"), via ("proxy": absolute-form requests
// through the emulator as an HTTP proxy; "ip": the SDK's Ip option, the
// emulator's address with the Host of the bucket), bucket, region, key,
// file, chunk_size, secret_id, secret_key, token, conf_dir (where the SDK
// keeps its upload-id cache).
// Prints one JSON line: {"ok":true,"data":{...}} or {"ok":false,"error":..}

'use strict';

const COS = require('cos-nodejs-sdk-v5');

const o = JSON.parse(process.argv[2]);

const options = {
  SecretId: o.secret_id,
  SecretKey: o.secret_key,
  SecurityToken: o.token,
  Protocol: 'http:',
  ConfCwd: o.conf_dir,
  KeepAlive: true,
  Timeout: 30000,
};
if (o.via === 'proxy') {
  options.Proxy = 'http://' + o.emulator;
} else if (o.via === 'ip') {
  options.Ip = o.emulator;
} else {
  throw new Error('via is proxy or ip');
}
const cos = new COS(options);

cos.sliceUploadFile(
  {
    Bucket: o.bucket,
    Region: o.region,
    Key: o.key,
    FilePath: o.file,
    ChunkSize: o.chunk_size,
  },
  function (err, data) {
    if (err) {
      const e = err.error || err;
      process.stdout.write(JSON.stringify({
        ok: false,
        error: { code: e.Code || e.code, message: e.Message || e.message,
                 status: err.statusCode },
      }) + '\n');
      process.exitCode = 1;
      return;
    }
    process.stdout.write(JSON.stringify({
      ok: true,
      data: { UploadId: data.UploadId, ETag: data.ETag,
              Location: data.Location, statusCode: data.statusCode,
              crc64: data.headers && data.headers['x-cos-hash-crc64ecma'] },
    }) + '\n');
  }
);
